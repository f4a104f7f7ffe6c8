"""zhi-store-etcd: a zhi store on etcd's v3 API (see plugins/zhi-store-etcd/README.md)."""
