import json
from pathlib import Path

import pytest

from zhi_gui.core.errors import AuditError
from zhi_gui.plugin.audit import AuditMode, audit_binary, sha256_file


def make_binary(tmp_path: Path) -> Path:
    binary = tmp_path / "zhi-store-demo"
    binary.write_text("#!/bin/sh\nexit 0\n")
    binary.chmod(0o755)
    return binary


def test_digest_match_mismatch_and_missing_metadata(tmp_path: Path) -> None:
    binary = make_binary(tmp_path)
    meta = tmp_path / "meta"
    meta.mkdir()
    assert audit_binary(binary, metadata_dir=meta).matches is None  # locally built: passes
    (meta / "zhi-store-demo.json").write_text(json.dumps({"binaryDigest": sha256_file(binary)}))
    assert audit_binary(binary, metadata_dir=meta).matches is True
    (meta / "zhi-store-demo.json").write_text(json.dumps({"binaryDigest": "sha256:" + "0" * 64}))
    with pytest.raises(AuditError, match="changed since it was installed"):
        audit_binary(binary, metadata_dir=meta)
    assert audit_binary(binary, AuditMode.WARN, meta).matches is False


def test_short_name_metadata_is_found(tmp_path: Path) -> None:
    binary = make_binary(tmp_path)
    (tmp_path / "demo.json").write_text(json.dumps({"binaryDigest": "sha256:" + "1" * 64}))
    with pytest.raises(AuditError):
        audit_binary(binary, metadata_dir=tmp_path)


def test_unsafe_paths_are_refused(tmp_path: Path) -> None:
    binary = make_binary(tmp_path)
    with pytest.raises(AuditError, match=r"'\.\.'"):
        audit_binary(tmp_path / "sub" / ".." / binary.name, metadata_dir=tmp_path)
    with pytest.raises(AuditError, match="not a file"):
        audit_binary(tmp_path / "missing", metadata_dir=tmp_path)
    binary.chmod(0o644)
    with pytest.raises(AuditError, match="not executable"):
        audit_binary(binary, metadata_dir=tmp_path)
