"""Screenshots of the history panel and both diff views (run under xvfb-run)."""
import asyncio
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtWidgets import QApplication

from zhi_gui.ui.qt_loop import run_with_qt
from zhi_gui.ui.theme import apply_theme

SQLITE = Path(__file__).resolve().parent.parent / "plugins" / "zhi-store-sqlite" / "zhi-store-sqlite"
OUT = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/shots")
OUT.mkdir(parents=True, exist_ok=True)

async def settle(t=0.6):
    await asyncio.sleep(t)
    QApplication.processEvents()

async def main():
    from zhi_gui.app import build_window
    from zhi_gui.core.model import Entry
    from zhi_gui.services.keyring_service import InMemoryVault
    from zhi_gui.session import StoreTarget
    app = QApplication.instance()
    apply_theme(app, "light")
    tmp = Path(tempfile.mkdtemp(prefix="zs-", dir="/tmp"))
    win = build_window(vault=InMemoryVault())  # as the app composes it
    panel = win.history_panel
    win.resize(1600, 1000)
    win.show()
    await win.open_store(StoreTarget(SQLITE, {"path": str(tmp / "demo.sqlite"), "create": True}, "sample"))
    await win.fill_sample()
    store = win.controller.store
    e = dict(win.controller.index.entries)
    def put(path, value):
        return Entry(path, json.dumps(value).encode(), e[path].metadata_json if path in e else b"")
    await store.write_values("sample", [put("services/api/replicas", 6),
                                        put("services/api/image", "registry.example.com/api:1.9.0"),
                                        put("services/api/resources", {"cpu": "1000m", "memory": "1Gi"})],
                             message="Scale api to 6 replicas", author="alice")
    await store.write_values("sample", [put("services/api/database/password", "n3w-s3cret-2026"),
                                        put("services/auth/database/password", "rotated-auth-7f3a")],
                             message="Rotate database passwords", author="bob")
    flags = json.loads(e["global/feature-flags"].value_json)
    flags.update({"dark-mode": True, "beta-search": False, "new-onboarding": True})
    await store.write_values("sample", [put("global/feature-flags", flags),
                                        put("global/motd", "Welcome to staging.\nData is reset every Sunday night.\n"
                                                           "Ask #platform for access."),
                                        put("global/log-level", "debug")],
                             ["tenants/t003/seats", "tenants/t003/plan"], message="Feature flags for the beta",
                             author="carol")
    routes = ("routes:\n  - path: /v1\n    upstream: api\n  - path: /v2\n    upstream: api-v2\n"
              "    timeout: 30s\n  - path: /auth\n    upstream: auth\n")
    syn = json.dumps({"laptop": ["notebook"], "phone": ["mobile", "cell"], "tv": ["television", "telly"]}, indent=2)
    await store.write_values("sample", [put("services/gateway/routes.yaml", routes),
                                        put("services/search/synonyms.json", syn),
                                        put("services/gateway/cdn/host", "cdn.example.com")],
                             message="Route /v2 to api-v2; search synonyms", author="alice")
    await store.write_values("sample", [put("services/billing/replicas", 4), put("tenants/t007/seats", 250)],
                             message="Billing capacity for the sale", author="dave")
    await win.reload_tree()
    meta = win.controller.index.entries["services/billing/currency"].metadata_json
    win.controller.stage_set("services/billing/currency", b'"USD"', meta)
    win.controller.stage_set("services/billing/invoice-prefix", b'"BIL-"',
                             win.controller.index.entries["services/billing/invoice-prefix"].metadata_json)
    await settle(1.0)
    win.expand_for_screenshot()
    idx = win.model.index_of_path("services/gateway/routes.yaml")
    win.tree_view.setCurrentIndex(idx)
    win.tree_view.scrollTo(idx)
    await settle(1.0)
    # 1: the history panel, one version selected, compared with the one before it
    panel.compare_mode.setCurrentIndex(1)
    panel.select_versions([panel.model.rows[1].id])
    await settle(2.0)
    win.grab().save(str(OUT / "history.png"))
    # 2: two versions compared: whole-tree diff
    panel.compare_mode.setCurrentIndex(0)
    panel.select_versions([panel.model.rows[0].id, panel.model.rows[-1].id])
    await settle(2.0)
    view = panel.diff_view
    panel.diff_dock.setFloating(True)
    panel.diff_dock.resize(1500, 620)
    await settle(0.5)
    view.tree.expandAll()
    view.splitter.setSizes([880, 620])
    await view._select("global/feature-flags")
    await settle(1.0)
    panel.diff_dock.grab().save(str(OUT / "tree-diff.png"))
    # 3: the value diff of a YAML value
    view.splitter.setSizes([560, 940])
    await view._select("services/gateway/routes.yaml")
    await settle(1.5)
    panel.diff_dock.grab().save(str(OUT / "value-diff-yaml.png"))
    await view._select("global/feature-flags")
    await settle(1.0)
    panel.diff_dock.grab().save(str(OUT / "value-diff.png"))
    print("last_error:", win.last_error)
    win._closing_confirmed = True
    await win.controller.close()

run_with_qt(main)
