import grpc

from zhi_gui.core import errors as E
from zhi_gui.plugin import wire_errors as W


def roundtrip(error: E.StoreError) -> E.ZhiError:
    code, message, trailer = W.encode(error)
    return W.classify(code, message, trailer)


def test_typed_errors_survive_the_wire_with_their_details() -> None:
    back = roundtrip(E.CASConflict("conflict", {"path": "a/b", "expected": "1", "actual": "2"}))
    assert isinstance(back, E.CASConflict) and (back.path, back.expected, back.actual) == ("a/b", "1", "2")
    for cls in (E.AuthRequired, E.AccessDenied, E.NotFound, E.EncryptionNotInitialised, E.Unsupported,
                E.StoreLocked, E.WrongPassphrase, E.InvalidArgument, E.StoreCorrupt, E.DataLoss,
                E.StoreMissing):
        assert type(roundtrip(cls("x"))) is cls


def test_data_loss_and_missing_store_codes_and_details() -> None:
    code, _, _ = W.encode(E.DataLoss("damaged", {"paths": "a,b/c", "versions": "7"}))
    assert code == grpc.StatusCode.DATA_LOSS
    back = roundtrip(E.DataLoss("damaged", {"paths": "a,b/c", "versions": "7", "tree_id": "t"}))
    assert isinstance(back, E.DataLoss) and back.paths == ["a", "b/c"] and back.versions == ["7"]
    code, _, _ = W.encode(E.StoreMissing("no such store"))
    assert code == grpc.StatusCode.NOT_FOUND
    assert isinstance(roundtrip(E.StoreMissing("x")), E.NotFound)


def test_zhi_marker_only_on_zhis_typed_errors() -> None:
    _, _, trailer = W.encode(E.CASConflict("c"))
    info = W.error_info(trailer)
    assert info is not None and (info.reason, info.domain) == ("store_error", "zhi")
    # zhi's host must not mistake a locked store for "encryption not initialised"
    code, _, trailer = W.encode(E.StoreLocked("locked"))
    info = W.error_info(trailer)
    assert code == grpc.StatusCode.FAILED_PRECONDITION and info is not None and info.domain == "zhi-gui"


def test_without_marker_code_then_message_decide() -> None:
    assert isinstance(W.classify(grpc.StatusCode.ABORTED, "x"), E.CASConflict)
    assert isinstance(W.classify(grpc.StatusCode.UNAVAILABLE, "gone"), E.PluginUnavailable)
    assert isinstance(W.classify(grpc.StatusCode.DEADLINE_EXCEEDED, "slow"), E.PluginTimeout)
    # zhi's example stores answer unsupported calls with plain errors (UNKNOWN)
    assert isinstance(W.classify(grpc.StatusCode.UNKNOWN, "versioning not supported"), E.Unsupported)
    plain = W.classify(grpc.StatusCode.UNKNOWN, "disk on fire")
    assert type(plain) is E.StoreError and "disk on fire" in str(plain)


def test_garbled_trailer_is_ignored() -> None:
    err = W.classify(grpc.StatusCode.ABORTED, "x", [(W.STATUS_DETAILS_KEY, b"\xff\x00garbage")])
    assert isinstance(err, E.CASConflict)


def test_plain_store_errors_are_not_guessed_from_their_words() -> None:
    back = roundtrip(E.StoreError("open /data/t.json: No such file or directory"))
    assert type(back) is E.StoreError


def test_an_unanswering_server_is_unavailable_and_typed_back() -> None:
    code, _, _ = W.encode(E.BackendUnavailable("etcd at 127.0.0.1:2379 is unreachable"))
    assert code == grpc.StatusCode.UNAVAILABLE
    back = roundtrip(E.BackendUnavailable("etcd is unreachable"))
    assert isinstance(back, E.BackendUnavailable) and not isinstance(back, E.PluginUnavailable)
