"""A realistic sample tree so a newcomer sees the product working at once:
a few services with databases, caches, feature flags, secrets and YAML."""

from __future__ import annotations

import random
from typing import Any

from zhi_gui.core.jsonvalues import encode_metadata, encode_value, to_text
from zhi_gui.core.model import Entry

SAMPLE_TREE_ID = "sample"


def _e(path: str, value: Any, **labels: Any) -> Entry:
    return Entry(path, encode_value(value), encode_metadata(labels))


def sample_entries(seed: int = 7) -> list[Entry]:
    rng = random.Random(seed)
    out: list[Entry] = [
        _e("global/environment", "staging", **{"ui.enum": ["dev", "staging", "production"],
                                               "core.description": "Deployment stage"}),
        _e("global/region", "eu-central-1", **{"ui.enum": ["eu-central-1", "eu-west-1", "us-east-1"]}),
        _e("global/owner-email", "platform@example.com", **{"core.type": "email"}),
        _e("global/maintenance-window", "Sun 02:00-04:00 UTC"),
        _e("global/log-level", "info", **{"ui.enum": ["trace", "debug", "info", "warn", "error"]}),
        _e("global/tracing/sample-rate", 0.05,
           **{"core.type": "float", "core.description": "Share of traced requests"}),
        _e("global/tracing/endpoint", "http://otel-collector:4317", **{"core.type": "url"}),
        _e("global/feature-flags", {"new-checkout": True, "dark-mode": False, "beta-search": True}),
        _e("global/allowed-origins", ["https://example.com", "https://admin.example.com"], **{"core.type": "list"}),
        _e("global/motd", "Welcome to staging.\nData is reset every night.", **{"ui.multiline": True}),
    ]
    services = ["api", "auth", "billing", "catalog", "checkout", "gateway", "notifications", "search",
                "inventory", "reporting", "scheduler", "users"]
    for name in services:
        base = f"services/{name}"
        port = 8000 + services.index(name)
        out += [
            _e(f"{base}/enabled", True),
            _e(f"{base}/replicas", rng.choice([1, 2, 3, 4, 6])),
            _e(f"{base}/port", port, **{"core.type": "port"}),
            _e(f"{base}/image", f"registry.example.com/{name}:1.{rng.randint(0, 30)}.{rng.randint(0, 9)}"),
            _e(f"{base}/log-level", rng.choice(["info", "debug", "warn"]),
               **{"ui.enum": ["trace", "debug", "info", "warn", "error"]}),
            _e(f"{base}/timeouts/read", f"{rng.choice([5, 10, 30])}s", **{"core.type": "duration"}),
            _e(f"{base}/timeouts/write", f"{rng.choice([5, 10, 30])}s", **{"core.type": "duration"}),
            _e(f"{base}/resources", {"cpu": f"{rng.choice([250, 500, 1000])}m",
                                     "memory": f"{rng.choice([256, 512, 1024])}Mi"}, **{"core.type": "map"}),
            _e(f"{base}/database/host", f"{name}-db.internal", **{"core.type": "hostname"}),
            _e(f"{base}/database/port", 5432, **{"core.type": "port"}),
            _e(f"{base}/database/name", name.replace("-", "_")),
            _e(f"{base}/database/user", f"{name}_svc"),
            _e(f"{base}/database/password", f"{name}-{rng.randrange(16**12):012x}",
               **{"ui.password": True, "core.description": "Rotated quarterly"}),
            _e(f"{base}/database/pool-size", rng.choice([5, 10, 20])),
            _e(f"{base}/cache/url", f"redis://cache.internal:6379/{services.index(name)}", **{"core.type": "url"}),
            _e(f"{base}/cache/ttl-seconds", rng.choice([60, 300, 900]), **{"core.unit": "seconds"}),
            _e(f"{base}/api-key", f"sk_{rng.randrange(16**24):024x}", **{"ui.password": True}),
            _e(f"{base}/owners", [f"{name}-team@example.com"], **{"core.type": "list"}),
        ]
        if name in ("gateway", "api"):
            out.append(_e(f"{base}/routes.yaml", "routes:\n  - path: /v1\n    upstream: api\n  - path: /auth\n"
                                                 "    upstream: auth\n", **{"core.type": "yaml", "ui.format": "yaml"}))
            out.append(_e(f"{base}/tls/cert.pem", "-----BEGIN CERTIFICATE-----\nMIIB...\n-----END CERTIFICATE-----\n",
                          **{"ui.multiline": True, "ui.readonly": True}))
        if name == "billing":
            out.append(_e(f"{base}/currency", "EUR", **{"ui.enum": ["EUR", "USD", "GBP"]}))
            out.append(_e(f"{base}/invoice-prefix", "INV-", **{"ui.pattern": "^[A-Z]{2,5}-$"}))
        if name == "search":
            out.append(_e(f"{base}/synonyms.json", to_text({"tv": ["television"], "phone": ["mobile"]}, indent=True),
                          **{"core.type": "json", "ui.format": "json"}))
    for index in range(40):
        out.append(_e(f"tenants/t{index:03d}/plan", rng.choice(["free", "team", "enterprise"]),
                      **{"ui.enum": ["free", "team", "enterprise"]}))
        out.append(_e(f"tenants/t{index:03d}/seats", rng.randint(1, 500)))
        out.append(_e(f"tenants/t{index:03d}/region", rng.choice(["eu-central-1", "us-east-1"])))
    return out
