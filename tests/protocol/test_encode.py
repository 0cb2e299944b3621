"""Every wire vector encodes to its exact bytes; the encoders refuse what ARI cannot carry.

ARI-PROTOCOL.md §3, §5, Appendix A and B; §10 checklist items 3, 4, 9, 26-29, 46-53,
55, 57-58, 60, 62-67, 70, 74-75, 78-79.
"""

from __future__ import annotations

import sys
from collections import OrderedDict
from enum import Enum
from types import MappingProxyType

import pytest
from vectors import PROXY, REMOTE, SESSION, TS, VECTORS, Vector

from lightstreamer_adapter.interfaces.data import DiffAlgorithm
from lightstreamer_adapter.interfaces.metadata import (
    Mode,
    MpnDeviceInfo,
    MpnSubscriptionInfo,
    TableInfo,
)
from lightstreamer_adapter.protocol.connection import ProtocolConnection
from lightstreamer_adapter.protocol.encode import (
    KEEPALIVE_LINE,
    encode_clear_snapshot,
    encode_data_failure,
    encode_end_of_snapshot,
    encode_field_diff_order,
    encode_proxy_message,
    encode_remote_message,
    encode_update,
)
from lightstreamer_adapter.protocol.errors import LocalProtocolError
from lightstreamer_adapter.protocol.fields import encode_string_smart
from lightstreamer_adapter.protocol.messages import (
    ClearSnapshot,
    DataFailure,
    DeclareFieldDiffOrder,
    EndOfSnapshot,
    ErrorInfo,
    ErrorKind,
    ErrorReply,
    ForceSessionTermination,
    ForceSessionTerminationReply,
    ForceUnsubscription,
    ForceUnsubscriptionReply,
    GetItemDataReply,
    GetItemsReply,
    InitReply,
    ItemData,
    Keepalive,
    MetadataFailure,
    Method,
    MpnDeviceAccessRequest,
    MpnSubscriptionActivationRequest,
    NotifyNewSessionReply,
    NotifyNewTablesReply,
    NotifyNewTablesRequest,
    NotifyTablesCloseRequest,
    NotifyUserReply,
    RemoteCredentials,
    SubscribeRequest,
    Update,
    VoidReply,
)
from lightstreamer_adapter.protocol.negotiation import Side
from lightstreamer_adapter.protocol.versions import V1_8_0, V1_8_2, V1_8_3, V1_9_0, V1_9_1

ENCODABLE = [v for v in VECTORS if not v.decode_only]
REMOTE_ENCODABLE = [v for v in ENCODABLE if v.direction == REMOTE]
VERSIONS_18 = (V1_8_0, V1_8_2, V1_8_3)
VERSIONS_19 = (V1_9_0, V1_9_1)


def _encode(vector: Vector) -> str:
    encoder = encode_proxy_message if vector.direction == PROXY else encode_remote_message
    return encoder(vector.message, vector.version)


@pytest.mark.parametrize("vector", ENCODABLE, ids=[v.name for v in ENCODABLE])
def test_vector_encodes_exactly(vector: Vector) -> None:
    line = _encode(vector)
    assert line == vector.line + "\r\n"
    # Items 4 and 9: one CR LF-terminated line, no other line break inside.
    assert "\r" not in line[:-2] and "\n" not in line[:-2]


@pytest.mark.parametrize("vector", REMOTE_ENCODABLE, ids=[v.name for v in REMOTE_ENCODABLE])
def test_vector_encodes_through_connection(vector: Vector) -> None:
    connection = ProtocolConnection(Side.METADATA)
    connection.accept_init(vector.version)
    assert connection.encode(vector.message) == vector.line + "\r\n"


_NOTIFICATIONS = [
    v
    for v in REMOTE_ENCODABLE
    if isinstance(v.message, (Update, EndOfSnapshot, ClearSnapshot, DeclareFieldDiffOrder,
                              DataFailure))
]  # fmt: skip


@pytest.mark.parametrize("vector", _NOTIFICATIONS, ids=[v.name for v in _NOTIFICATIONS])
def test_hot_path_functions_match_vectors(vector: Vector) -> None:
    m = vector.message
    version = vector.version
    if isinstance(m, Update):
        line = encode_update(m.timestamp, m.item, m.subscription_id, m.is_snapshot, m.values,
                             version)  # fmt: skip
    elif isinstance(m, EndOfSnapshot):
        line = encode_end_of_snapshot(m.timestamp, m.item, m.subscription_id, version)
    elif isinstance(m, ClearSnapshot):
        line = encode_clear_snapshot(m.timestamp, m.item, m.subscription_id, version)
    elif isinstance(m, DeclareFieldDiffOrder):
        line = encode_field_diff_order(m.timestamp, m.item, m.subscription_id, m.algorithms,
                                       version)  # fmt: skip
    else:
        assert isinstance(m, DataFailure)
        line = encode_data_failure(m.timestamp, m.message, version)
    assert line == vector.line + "\r\n"


def test_keepalive_line() -> None:
    assert KEEPALIVE_LINE.encode("ascii") == b"KEEPALIVE\r\n"
    assert encode_remote_message(Keepalive()) == KEEPALIVE_LINE
    assert encode_proxy_message(Keepalive()) == KEEPALIVE_LINE


# ---------------------------------------------------------------------- UD3 (46-48)


def test_update_numbers_are_sent_as_str() -> None:
    values = {"i": 42, "f": 12.5, "big": 1e16, "t": True, "n": -1}
    line = encode_update(TS, "item", "SUB1", False, values, V1_9_1)
    assert line == f"{TS}|UD3|S|item|S|SUB1|B|0|S|i|S|42|S|f|S|12.5|S|big|S|1e%2B16" \
        "|S|t|S|True|S|n|S|-1\r\n"
    line = encode_update(TS, "item", "SUB1", False, {"i": 42, "b": False}, V1_8_3)
    assert line == f"{TS}|UD3|S|item|S|SUB1|B|0|S|i|S|42|S|b|S|False\r\n"


def test_update_bytes_19_as_iso_8859_1_string() -> None:
    # Item 48: ARI 1.9 dropped Y; bytes become the ISO-8859-1 string, Smart-encoded.
    values = {"raw": b"a|\xe9\x00", "ba": bytearray(b"xy")}
    line = encode_update(TS, "i", "s", True, values, V1_9_1)
    assert line == f"{TS}|UD3|S|i|S|s|B|1|S|raw|S|a%7C\u00e9\x00|S|ba|S|xy\r\n"


@pytest.mark.parametrize("version", VERSIONS_18)
def test_update_bytes_18_as_base64(version: object) -> None:
    values = {"y": b"0.44", "empty": b"", "s": "0.44"}
    line = encode_update(TS, "i", "s", False, values, version)
    assert line == f"{TS}|UD3|S|i|S|s|B|0|S|y|Y|MC40NA==|S|empty|Y|$|S|s|S|0.44\r\n"


@pytest.mark.parametrize("version", [V1_8_3, V1_9_1])
@pytest.mark.parametrize("value", [[1, 2], {"a": 1}, object(), 1j])
def test_update_unsupported_value_names_field_and_item(version: object, value: object) -> None:
    with pytest.raises(LocalProtocolError) as caught:
        encode_update(TS, "my_item", "s", False, {"my_field": value}, version)
    assert "my_field" in str(caught.value)
    assert "my_item" in str(caught.value)


@pytest.mark.parametrize("version", [V1_8_3, V1_9_1])
@pytest.mark.parametrize("name", [None, 1, b"f"])
def test_update_field_name_must_be_str(version: object, name: object) -> None:
    with pytest.raises(LocalProtocolError, match="my_item"):
        encode_update(TS, "my_item", "s", False, {name: "v"}, version)  # type: ignore[arg-type,dict-item]


@pytest.mark.parametrize(
    "text",
    ["", "#", "$", "a", "%", "|", "+", "\r", "\n", "ab", "#x", "$1", "a b", "50%+1", "a|b",
     "line\r\nline", "é", "€ 5", "value\U0002996a", "~*'()!", "  ", "x" * 300],
)  # fmt: skip
def test_update_fast_path_matches_smart_encoder(text: str) -> None:
    # The inlined Smart encoding of encode_update must agree with fields.encode_string_smart.
    line = encode_update(TS, text or "i", "s", False, {text: text, "k": text}, V1_9_1)
    enc = encode_string_smart(text)
    item = encode_string_smart(text or "i")
    assert line == f"{TS}|UD3|S|{item}|S|s|B|0|S|{enc}|S|{enc}|S|k|S|{enc}\r\n"


class _MixedColor(str, Enum):
    # str() is "_MixedColor.RED" (and so is format() from 3.12): not the text.
    RED = "red"


if sys.version_info >= (3, 11):
    from enum import StrEnum

    class _StrColor(StrEnum):
        RED = "red"

    _STR_ENUMS: list[type[Enum]] = [_MixedColor, _StrColor]
else:  # enum.StrEnum is new in 3.11
    _STR_ENUMS = [_MixedColor]


@pytest.mark.parametrize("color", _STR_ENUMS)
def test_update_str_subclasses_are_sent_as_their_text(color: type[Enum]) -> None:
    red = color["RED"]

    class Loud(str):
        def __str__(self) -> str:
            return "LOUD"

        def __format__(self, spec: str) -> str:
            return "LOUD"

    for version in (V1_8_3, V1_9_1):
        values = {red: red, Loud("ab"): Loud("x|y"), "c": Loud("cd")}
        line = encode_update(TS, Loud("item"), "s", False, values, version)
        assert line == f"{TS}|UD3|S|item|S|s|B|0|S|red|S|red|S|ab|S|x%7Cy|S|c|S|cd\r\n"
        values = {red: red, "c": Loud("cd")}  # the fast path (1.9)
        line = encode_update(TS, Loud("item"), "s", True, values, version)
        assert line == f"{TS}|UD3|S|item|S|s|B|1|S|red|S|red|S|c|S|cd\r\n"


def test_update_accepts_any_mapping_in_its_order() -> None:
    expected = f"{TS}|UD3|S|i|S|s|B|0|S|b|S|1|S|a|S|2\r\n"
    for values in (OrderedDict([("b", "1"), ("a", "2")]), MappingProxyType({"b": "1", "a": "2"})):
        assert encode_update(TS, "i", "s", False, values, V1_9_1) == expected


def test_update_no_fields() -> None:
    assert encode_update(TS, "i", "s", True, {}, V1_9_1) == f"{TS}|UD3|S|i|S|s|B|1\r\n"


def test_update_escapes_item_and_subscription_id() -> None:
    line = encode_update(TS, "a|b", "%id", False, {}, V1_9_1)
    assert line == f"{TS}|UD3|S|a%7Cb|S|%25id|B|0\r\n"


# ---------------------------------------------------------------------- EOS/CLS/DFD/FAL


def test_eos_cls_smart_and_bc() -> None:
    # Item 50.
    assert encode_end_of_snapshot(TS, "a b", "x", V1_9_1) == f"{TS}|EOS|S|a b|S|x\r\n"
    assert encode_end_of_snapshot(TS, "a b", "x", V1_8_3) == f"{TS}|EOS|S|a+b|S|x\r\n"
    assert encode_clear_snapshot(TS, "a|b", "x", V1_9_0) == f"{TS}|CLS|S|a%7Cb|S|x\r\n"


@pytest.mark.parametrize("version", VERSIONS_18)
def test_dfd_does_not_exist_in_18(version: object) -> None:
    # Item 52: the caller logs and drops; the encoder refuses.
    with pytest.raises(LocalProtocolError, match="DFD"):
        encode_field_diff_order(TS, "i", "s", {"f": None}, version)
    message = DeclareFieldDiffOrder(TS, "i", "s", {"f": None})
    with pytest.raises(LocalProtocolError):
        encode_remote_message(message, version)


def test_dfd_letters() -> None:
    # Item 51.
    algorithms = {
        "a": None,
        "b": [],
        "c": [DiffAlgorithm.JSONPATCH],
        "d": [DiffAlgorithm.DIFF_MATCH_PATCH, DiffAlgorithm.JSONPATCH],
        "e|": (DiffAlgorithm.DIFF_MATCH_PATCH,),
    }
    line = encode_field_diff_order(TS, "i", "s", algorithms, V1_9_1)
    assert line == f"{TS}|DFD|S|i|S|s|S|a|F|#|S|b|F|$|S|c|F|J|S|d|F|MJ|S|e%7C|F|M\r\n"


def test_dfd_rejects_algorithm_names() -> None:
    with pytest.raises(LocalProtocolError):
        encode_field_diff_order(TS, "i", "s", {"f": ["JSONPATCH"]}, V1_9_1)  # type: ignore[list-item]


def test_data_failure() -> None:
    # Item 53.
    assert encode_data_failure(TS, None, V1_9_1) == f"{TS}|FAL|E|#\r\n"
    assert encode_data_failure(TS, "a b|c", V1_9_1) == f"{TS}|FAL|E|a b%7Cc\r\n"
    assert encode_data_failure(TS, "a b|c", V1_8_3) == f"{TS}|FAL|E|a+b%7Cc\r\n"


# ---------------------------------------------------------------------- replies


def test_error_reply_of_init_is_bc_in_19() -> None:
    # §3.4: DPI/MPI error messages are BC even in 1.9 (item 18).
    reply = ErrorReply("X", Method.MPI, ErrorInfo(ErrorKind.METADATA, "a b"))
    assert encode_remote_message(reply, V1_9_1) == "X|MPI|EM|a+b\r\n"
    reply = ErrorReply("X", Method.SUB, ErrorInfo(ErrorKind.GENERIC, "a b"))
    assert encode_remote_message(reply, V1_9_1) == "X|SUB|E|a b\r\n"
    assert encode_remote_message(reply, V1_8_3) == "X|SUB|E|a+b\r\n"


def test_error_reply_null_message() -> None:
    reply = ErrorReply("X", Method.NSC, ErrorInfo(ErrorKind.NOTIFICATION, None))
    assert encode_remote_message(reply) == "X|NSC|EN|#\r\n"


def test_error_reply_ignores_extras_of_plain_kinds() -> None:
    reply = ErrorReply("X", Method.NUS, ErrorInfo(ErrorKind.ACCESS, "m", -1, "c", "s"))
    assert encode_remote_message(reply) == "X|NUS|EA|m\r\n"


def test_init_reply_forms() -> None:
    assert encode_remote_message(InitReply("X", Method.DPI)) == "X|DPI|V\r\n"
    reply = InitReply("X", Method.MPI, {"ARI.version": "1.9.1", "a b": "c"})
    assert encode_remote_message(reply) == "X|MPI|S|ARI.version|S|1.9.1|S|a+b|S|c\r\n"


def test_empty_results() -> None:
    # Item 60 (GIS/GSC) and the empty GIT/GUI replies.
    assert encode_remote_message(GetItemsReply("X", ())) == "X|GIS\r\n"
    assert encode_remote_message(GetItemDataReply("X", ())) == "X|GIT\r\n"


def test_item_data_modes_in_rmdc_order() -> None:
    # Item 62: modes in R M D C order whatever the input order, "$" for none.
    reply = GetItemDataReply("X", (ItemData(1, 2, (Mode.COMMAND, Mode.RAW)),
                                   ItemData(0, 0.0, ())))  # fmt: skip
    assert encode_remote_message(reply) == "X|GIT|I|1|D|2.0|M|RC|I|0|D|0.0|M|$\r\n"


def test_notify_user_reply_double() -> None:
    # Item 55; §3.5: repr of a float, an int accepted as a double.
    reply = NotifyUserReply("X", Method.NUS, 0, False)
    assert encode_remote_message(reply) == "X|NUS|D|0.0|B|0\r\n"
    reply = NotifyUserReply("X", Method.NUA, 1e16, True)
    assert encode_remote_message(reply) == "X|NUA|D|1e+16|B|1\r\n"


@pytest.mark.parametrize("version", VERSIONS_18 + VERSIONS_19)
def test_nns_and_nnt_void_in_every_version(version: object) -> None:
    # Items 66, 70.
    v = version
    assert encode_remote_message(NotifyNewSessionReply("X"), v) == "X|NNS|V\r\n"
    assert encode_remote_message(NotifyNewTablesReply("X"), v) == "X|NNT|V\r\n"


def test_fst_fus_forms() -> None:
    # Items 74-75.
    assert encode_remote_message(ForceSessionTermination("a1", "S|1")) == "a1|FST|S|S%7C1|V\r\n"
    message = ForceSessionTermination("a1", "S", 0, None)
    assert encode_remote_message(message) == "a1|FST|S|S|I|0|S|#\r\n"
    assert encode_remote_message(ForceUnsubscription("a2", "S", -3)) == "a2|FUS|S|S|I|-3\r\n"


def test_metadata_failure() -> None:
    # Item 79.
    assert encode_remote_message(MetadataFailure(None)) == "2|FAL|E|#\r\n"


def test_rac_is_bc_in_19() -> None:
    # Item 3.
    message = RemoteCredentials.create("u s", "p|w", sdk="Python Adapter SDK")
    line = encode_remote_message(message, V1_9_1)
    assert line == "1|RAC|S|user|S|u+s|S|password|S|p%7Cw|S|enableClosePacket|S|true" \
        "|S|SDK|S|Python+Adapter+SDK\r\n"


# ---------------------------------------------------------------------- proxy side


def test_tables_drop_what_the_layout_has_no_place_for() -> None:
    table = TableInfo(1, Mode.RAW, "g", "s", 1, 2, "sel", "DA", ["a"], None)
    message = NotifyNewTablesRequest("X", "u", "S", (table,))
    assert encode_proxy_message(message, V1_8_3) == \
        "X|NNT|S|u|S|S|I|1|M|R|S|g|S|s|I|1|I|2|S|sel\r\n"
    assert encode_proxy_message(message, V1_9_1) == \
        "X|NNT|S|u|S|S|I|1|M|R|S|g|S|DA|S|s|I|1|I|2|S|sel|I|1|S|a\r\n"
    message2 = NotifyTablesCloseRequest("X", "S", (TableInfo(1, None, "g", "s", 1, 2),))
    assert encode_proxy_message(message2, V1_9_1) == \
        "X|NTC|S|S|I|1|M|#|S|g|S|#|S|s|I|1|I|2|S|#|I|0|I|0\r\n"


def test_msa_has_no_selector() -> None:
    table = TableInfo(1, Mode.MERGE, "g", "s", 1, 2, "ignored", "DA", [])
    device = MpnDeviceInfo("A", "app", "tok")
    message = MpnSubscriptionActivationRequest(
        "X", "u", SESSION, table, MpnSubscriptionInfo(device, "fmt", "trig")
    )
    assert encode_proxy_message(message, V1_8_3) == \
        f"X|MSA|S|u|S|{SESSION}|I|1|M|M|S|g|S|s|I|1|I|2|P|A|S|app|S|tok|S|trig|S|fmt\r\n"


def test_proxy_fst_fus_replies() -> None:
    assert encode_proxy_message(ForceSessionTerminationReply("a")) == "a|FST|V\r\n"
    reply = ForceUnsubscriptionReply("a", error=ErrorInfo(ErrorKind.GENERIC, None))
    assert encode_proxy_message(reply) == "a|FUS|E|#\r\n"


# ---------------------------------------------------------------------- refusals


_NOT_IN_18 = [
    ("nns_ttl", NotifyNewSessionReply("X", 60)),
    ("nnt_flags", NotifyNewTablesReply("X", (True, False))),
    ("resource_unavailable",
     ErrorReply("X", Method.NUS, ErrorInfo(ErrorKind.RESOURCE_UNAVAILABLE, "m"))),
    ("metadata_failure", MetadataFailure("m")),  # item 78
    ("fst", ForceSessionTermination("a", "S")),  # item 78
    ("fus", ForceUnsubscription("a", "S", 1)),  # item 78
    ("dfd", DeclareFieldDiffOrder(TS, "i", "s")),  # item 52
]  # fmt: skip


@pytest.mark.parametrize("version", VERSIONS_18)
@pytest.mark.parametrize(("name", "message"), _NOT_IN_18, ids=[n for n, _ in _NOT_IN_18])
def test_not_in_18(name: str, message: object, version: object) -> None:
    with pytest.raises(LocalProtocolError):
        encode_remote_message(message, version)
    encode_remote_message(message, V1_9_0)


@pytest.mark.parametrize("version", VERSIONS_18)
def test_proxy_fst_fus_not_in_18(version: object) -> None:
    for message in (ForceSessionTerminationReply("a"), ForceUnsubscriptionReply("a", True)):
        with pytest.raises(LocalProtocolError):
            encode_proxy_message(message, version)


_INVALID = [
    ("kind_not_allowed", ErrorReply("X", Method.SUB, ErrorInfo(ErrorKind.ACCESS, "m"))),
    ("kind_for_git", ErrorReply("X", Method.GIT, ErrorInfo(ErrorKind.ITEMS, "m"))),
    ("error_for_rac", ErrorReply("X", Method.RAC, ErrorInfo(ErrorKind.GENERIC, "m"))),
    ("credits_without_code", ErrorReply("X", Method.NUS, ErrorInfo(ErrorKind.CREDITS, "m"))),
    ("init_reply_sub", InitReply("X", Method.SUB)),
    ("void_reply_nus", VoidReply("X", Method.NUS)),
    ("void_reply_gis", VoidReply("X", Method.GIS)),
    ("notify_user_reply_nns", NotifyUserReply("X", Method.NNS, 0.0, False)),
    ("nan_bandwidth", NotifyUserReply("X", Method.NUS, float("nan"), False)),
    ("inf_frequency", GetItemDataReply("X", (ItemData(1, float("inf"), ()),))),
    ("int_overflow", NotifyNewSessionReply("X", 2**31)),
    ("id_with_separator", VoidReply("X|Y", Method.SUB)),
    ("id_with_newline", VoidReply("X\n", Method.SUB)),
    ("empty_id", VoidReply("", Method.SUB)),
    ("cause_message_without_code", ForceSessionTermination("a", "S", None, "m")),
    ("null_param_name", RemoteCredentials({None: "x"})),  # type: ignore[dict-item]
]


@pytest.mark.parametrize(("name", "message"), _INVALID, ids=[n for n, _ in _INVALID])
def test_invalid_remote_messages(name: str, message: object) -> None:
    with pytest.raises(LocalProtocolError):
        encode_remote_message(message)


_INVALID_PROXY = [
    ("fus_reply_neither", ForceUnsubscriptionReply("a")),
    ("fus_reply_both", ForceUnsubscriptionReply("a", True, ErrorInfo(ErrorKind.GENERIC, "m"))),
    ("bad_platform", MpnDeviceAccessRequest("X", "u", "s", MpnDeviceInfo("A|B", "a", "t"))),
    ("bad_id", SubscribeRequest("a|b", "item")),
]


@pytest.mark.parametrize(("name", "message"), _INVALID_PROXY, ids=[n for n, _ in _INVALID_PROXY])
def test_invalid_proxy_messages(name: str, message: object) -> None:
    with pytest.raises(LocalProtocolError):
        encode_proxy_message(message)


def test_wrong_direction_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        encode_remote_message(SubscribeRequest("X", "i"))
    with pytest.raises(TypeError):
        encode_proxy_message(VoidReply("X", Method.SUB))
