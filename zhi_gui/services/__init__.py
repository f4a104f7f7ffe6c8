"""Application services without Qt: settings, per-plugin state, the OS keyring.

Everything here is plain Python (no PySide6) so it is unit-testable without a
display; the GUI's composition root builds these objects and wires them to
the widgets. Calls that can block (the keyring, file I/O on slow disks) are
synchronous here; callers on the UI thread run them in an executor (the
keyring vault offers ``async`` wrappers that do this).
"""
