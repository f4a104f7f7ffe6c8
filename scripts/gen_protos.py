"""Regenerate the Python stubs in zhi_gui/plugin/gen from proto/.

Run: python scripts/gen_protos.py   (needs grpcio-tools; keep grpcio >= its version)

grpcio-tools writes top-level imports such as ``from zhiplugin.v1 import
config_pb2``; the stubs live inside our package, so those imports are rewritten
to ``from zhi_gui.plugin.gen.zhiplugin.v1 import ...``.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTO = ROOT / "proto"
OUT = ROOT / "zhi_gui" / "plugin" / "gen"
PACKAGES = ("zhiplugin", "plugin", "zhigui")


def main() -> int:
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    files = sorted(str(p.relative_to(PROTO)) for p in PROTO.rglob("*.proto"))
    include = str(Path(protoc.__file__).parent / "_proto")
    args = ["protoc", f"-I{PROTO}", f"-I{include}", f"--python_out={OUT}", f"--pyi_out={OUT}",
            f"--grpc_python_out={OUT}", *files]
    if protoc.main(args) != 0:
        return 1
    pattern = re.compile(rf"^(from|import) ({'|'.join(PACKAGES)})(\.| )", re.M)
    for path in OUT.rglob("*.py*"):
        text = pattern.sub(r"\1 zhi_gui.plugin.gen.\2\3", path.read_text())
        path.write_text(text)
    for directory in [OUT, *[d for d in OUT.rglob("*") if d.is_dir()]]:
        (directory / "__init__.py").touch()
    print(f"generated {len(files)} proto files into {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
