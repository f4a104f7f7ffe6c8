"""Encryption of zhi-store-sqlite: init, lock/unlock, wrong passphrase, rotation,
passphrase options, nothing readable on disk, rows bound to their place."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from zhi_gui.core import errors as E
from zhi_gui.core.model import Encryption, Entry
from zhi_gui.stores.sqlite import SqliteStore
from zhi_gui.stores.sqlite.integrity import row_ck

Run = Callable[..., Any]
SECRET = b'"top-secret-value-4711"'
SECRET_META = b'{"core.description": "meta-secret-0815"}'


@pytest.fixture
def make(short_tmp: Path, arun: Run) -> Iterator[Callable[..., SqliteStore]]:
    opened: list[SqliteStore] = []

    def factory(**options: Any) -> SqliteStore:
        store = SqliteStore({"path": str(short_tmp / "store.db"), "create": True, **options}, scrypt_n=1 << 10)
        opened.append(store)
        return store

    yield factory
    for store in opened:
        arun(store.close())


def disk_bytes(short_tmp: Path) -> bytes:
    return b"".join(p.read_bytes() for p in short_tmp.glob("store.db*"))


def fill(store: SqliteStore, arun: Run) -> list[str]:
    arun(store.write_values("t", [Entry("app/secret", SECRET, SECRET_META), Entry("app/plain", b"1")],
                            message="message-secret-42"))
    arun(store.put_values("t", [Entry("app/plain", b"2")]))
    arun(store.delete_values("t", ["app/plain"]))
    versions: list[str] = arun(store.list_tree_versions("t"))
    return versions


def data_calls(store: SqliteStore, version: str) -> list[Any]:
    async def stream() -> None:
        async for _ in store.stream_tree("t"):
            pass

    return [
        store.get_values("t", ["app/secret"]), store.put_values("t", [Entry("x", b"1")]),
        store.delete_values("t", ["app/secret"]), store.list_tree_versions("t"),
        store.get_tree_version("t", version, []), store.rollback_tree("t", version),
        store.delete_tree_version("t", version), store.list_paths("t"), stream(),
        store.describe_versions("t"), store.write_values("t", [Entry("x", b"1")]), store.delete_tree("t"),
    ]


def test_init_encrypts_everything_and_flips_capabilities(make: Callable[..., SqliteStore], arun: Run,
                                                         short_tmp: Path) -> None:
    store = make()
    versions = fill(store, arun)
    assert arun(store.capabilities()).encryption == Encryption.SUPPORTED
    assert b"top-secret-value-4711" in disk_bytes(short_tmp)
    arun(store.init_encryption(b"correct horse"))
    assert arun(store.capabilities()).encryption == Encryption.ACTIVE
    assert not arun(store.describe()).locked
    # still readable while unlocked, history included
    assert arun(store.get_values("t", ["app/secret"]))[0].value_json == SECRET
    assert arun(store.get_values("t", ["app/secret"]))[0].metadata_json == SECRET_META
    old = {x.path: x.value_json for x in arun(store.get_tree_version("t", versions[1], []))}
    assert old == {"app/secret": SECRET, "app/plain": b"2"}
    assert arun(store.describe_versions("t")).versions[-1].message == "message-secret-42"
    arun(store.close())
    raw = disk_bytes(short_tmp)
    for needle in (b"top-secret-value-4711", b"meta-secret-0815", b"message-secret-42"):
        assert needle not in raw, needle
    # no passphrase hash: only the KDF parameters and the wrapped key
    with sqlite3.connect(short_tmp / "store.db") as conn:
        keys = {row[0] for row in conn.execute("SELECT key FROM meta")}
    assert keys == {"app", "format_version", "created", "next_pid", "encryption", "kdf", "kdf_n", "kdf_r",
                    "kdf_p", "kdf_salt", "wrapped_key"}


def test_encrypting_many_values_leaves_no_plaintext_fragment(make: Callable[..., SqliteStore], arun: Run,
                                                             short_tmp: Path) -> None:
    """Rows rewritten in place leave fragments inside their pages that secure_delete does
    not zero (at 20,000 values two stayed readable): the file is rebuilt after sealing."""
    store = make()
    arun(store.write_values("t", [Entry(f"svc{i % 37}/key{i:06d}", f'"top-secret-{i}"'.encode())
                                  for i in range(20_000)]))
    arun(store.init_encryption(b"correct horse"))
    assert len(arun(store.get_values("t", []))) == 20_000
    arun(store.close())
    assert b"top-secret" not in disk_bytes(short_tmp)


def test_init_twice_and_bad_passphrases(make: Callable[..., SqliteStore], arun: Run) -> None:
    store = make()
    with pytest.raises(E.InvalidArgument):
        arun(store.init_encryption(b""))
    with pytest.raises(E.EncryptionNotInitialised):
        arun(store.rotate_encryption(b"a", b"b"))
    with pytest.raises(E.EncryptionNotInitialised):
        arun(store.unlock(b"a"))
    arun(store.lock())  # nothing to lock: harmless
    assert not arun(store.describe()).locked
    arun(store.init_encryption(b"one"))
    with pytest.raises(E.InvalidArgument):
        arun(store.init_encryption(b"two"))
    with pytest.raises(E.InvalidArgument):
        arun(store.rotate_encryption(b"one", b""))


def test_reopened_store_starts_locked(make: Callable[..., SqliteStore], arun: Run) -> None:
    store = make()
    versions = fill(store, arun)
    arun(store.init_encryption(b"pw"))
    arun(store.close())
    store = make()
    assert arun(store.capabilities()).encryption == Encryption.ACTIVE
    assert arun(store.describe()).locked
    assert arun(store.list_trees()) == ["t"]  # ids are in clear: still listed
    for call in data_calls(store, versions[0]):
        with pytest.raises(E.StoreLocked):
            arun(call)
    with pytest.raises(E.WrongPassphrase):
        arun(store.unlock(b"wrong"))
    assert arun(store.describe()).locked
    arun(store.unlock(b"pw"))
    assert not arun(store.describe()).locked
    assert arun(store.get_values("t", ["app/secret"]))[0].value_json == SECRET
    arun(store.lock())
    assert arun(store.describe()).locked
    with pytest.raises(E.StoreLocked):
        arun(store.get_values("t", ["app/secret"]))
    arun(store.unlock(b"pw"))
    arun(store.put_values("t", [Entry("new", b"1")]))  # writes while unlocked are encrypted too
    assert arun(store.get_values("t", ["new"]))[0].value_json == b"1"


def test_rotate(make: Callable[..., SqliteStore], arun: Run, short_tmp: Path) -> None:
    store = make()
    versions = fill(store, arun)
    arun(store.init_encryption(b"old"))
    with sqlite3.connect(short_tmp / "store.db") as conn:
        before = dict(conn.execute("SELECT pid || '/' || seq, value FROM changes WHERE value IS NOT NULL"))
    with pytest.raises(E.WrongPassphrase):
        arun(store.rotate_encryption(b"not-old", b"new"))
    with sqlite3.connect(short_tmp / "store.db") as conn:
        assert dict(conn.execute("SELECT pid || '/' || seq, value FROM changes WHERE value IS NOT NULL")) == before
    arun(store.rotate_encryption(b"old", b"new"))
    with sqlite3.connect(short_tmp / "store.db") as conn:
        after = dict(conn.execute("SELECT pid || '/' || seq, value FROM changes WHERE value IS NOT NULL"))
    assert after.keys() == before.keys() and all(after[k] != before[k] for k in after)  # new data key
    assert arun(store.get_values("t", ["app/secret"]))[0].value_json == SECRET
    arun(store.close())
    store = make()
    with pytest.raises(E.WrongPassphrase):
        arun(store.unlock(b"old"))
    with pytest.raises(E.WrongPassphrase):
        arun(store.rotate_encryption(b"old", b"newer"))
    arun(store.unlock(b"new"))
    assert {x.path for x in arun(store.get_tree_version("t", versions[1], []))} == {"app/secret", "app/plain"}
    assert arun(store.describe_versions("t")).versions[-1].message == "message-secret-42"
    # a locked store can be rotated by whoever knows the current passphrase
    arun(store.lock())
    arun(store.rotate_encryption(b"new", b"newest"))
    assert not arun(store.describe()).locked


def test_passphrase_file_and_env_options(make: Callable[..., SqliteStore], arun: Run, short_tmp: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    secret_file = short_tmp / "pass.txt"
    secret_file.write_bytes(b"from file\n")
    store = make(passphrase_file=str(secret_file))  # not encrypted yet: the option is unused
    fill(store, arun)
    arun(store.init_encryption(b"from file"))
    arun(store.close())
    store = make(passphrase_file=str(secret_file))
    assert not arun(store.describe()).locked
    assert arun(store.get_values("t", ["app/secret"]))[0].value_json == SECRET
    arun(store.close())

    monkeypatch.setenv("ZHI_TEST_SQLITE_PASS", "from file")
    store = make(passphrase_env="ZHI_TEST_SQLITE_PASS")
    assert not arun(store.describe()).locked
    arun(store.close())

    secret_file.write_bytes(b"wrong one")
    store = make(passphrase_file=str(secret_file))
    assert arun(store.describe()).locked
    with pytest.raises(E.StoreLocked, match=r"passphrase_file .* is wrong"):
        arun(store.get_values("t", ["app/secret"]))
    arun(store.unlock(b"from file"))  # the GUI can still unlock it
    arun(store.close())

    store = make(passphrase_file=str(short_tmp / "missing"))
    with pytest.raises(E.StoreLocked, match="cannot read passphrase_file"):
        arun(store.get_values("t", ["app/secret"]))
    arun(store.close())
    monkeypatch.delenv("ZHI_TEST_SQLITE_PASS")
    store = make(passphrase_env="ZHI_TEST_SQLITE_PASS")
    with pytest.raises(E.StoreLocked, match=r"ZHI_TEST_SQLITE_PASS .* not set"):
        arun(store.get_values("t", ["app/secret"]))


def test_rows_are_bound_to_their_path(make: Callable[..., SqliteStore], arun: Run, short_tmp: Path) -> None:
    store = make()
    arun(store.put_values("t", [Entry("a", b'"value-a"'), Entry("b", b'"value-b"')]))
    arun(store.init_encryption(b"pw"))
    arun(store.close())
    with sqlite3.connect(short_tmp / "store.db") as conn:
        rows = dict(conn.execute("SELECT p.path, c.value FROM paths p JOIN changes c ON c.pid = p.pid"))
        pids = dict(conn.execute("SELECT path, pid FROM paths"))
        # A deliberate swap that also rewrites the row checksum: only AES-GCM's
        # associated data (tree, path, version) can notice it.
        conn.create_function("zck", -1, row_ck)
        conn.execute("UPDATE changes SET value = ?1, ck = zck('changes', pid, seq, ?1, meta) WHERE pid = ?2",
                     (rows["b"], pids["a"]))
    conn.close()
    store = make()
    arun(store.unlock(b"pw"))
    with pytest.raises(E.DataLoss, match="fails authentication") as caught:
        arun(store.get_values("t", ["a"]))
    assert caught.value.paths == ["a"]
    assert arun(store.get_values("t", ["b"]))[0].value_json == b'"value-b"'


def test_a_changed_row_is_never_served(make: Callable[..., SqliteStore], arun: Run, short_tmp: Path) -> None:
    store = make()
    arun(store.put_values("t", [Entry("a", b'"value-a"'), Entry("b", b'"value-b"')]))
    arun(store.init_encryption(b"pw"))
    arun(store.close())
    with sqlite3.connect(short_tmp / "store.db") as conn:
        pids = dict(conn.execute("SELECT path, pid FROM paths"))
        conn.execute("UPDATE changes SET value = zeroblob(length(value)) WHERE pid = ?", (pids["a"],))
    conn.close()
    store = make()
    arun(store.unlock(b"pw"))
    with pytest.raises(E.DataLoss, match="checksum") as caught:
        arun(store.get_values("t", []))
    assert caught.value.paths == ["a"] and caught.value.versions == ["1"]
    assert arun(store.get_values("t", ["b"]))[0].value_json == b'"value-b"'


def test_second_process_rotation_locks_the_first(make: Callable[..., SqliteStore], arun: Run) -> None:
    one = make()
    fill(one, arun)
    arun(one.init_encryption(b"pw"))
    two = make()
    arun(two.unlock(b"pw"))
    arun(two.rotate_encryption(b"pw", b"pw2"))
    with pytest.raises(E.StoreLocked, match="changed by another process"):
        arun(one.get_values("t", ["app/secret"]))
    arun(one.unlock(b"pw2"))
    assert arun(one.get_values("t", ["app/secret"]))[0].value_json == SECRET


def test_encryption_started_elsewhere_locks_this_store(make: Callable[..., SqliteStore], arun: Run) -> None:
    one, two = make(), make()
    fill(one, arun)
    arun(two.init_encryption(b"pw"))
    with pytest.raises(E.StoreLocked):
        arun(one.put_values("t", [Entry("plain", b"1")]))  # never written in clear into an encrypted store
    assert arun(one.capabilities()).encryption == Encryption.ACTIVE
