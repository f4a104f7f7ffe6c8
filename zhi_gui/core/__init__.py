"""The Qt-free core: paths, values, store data types, errors, diff."""
