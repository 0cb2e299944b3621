"""Wire vectors: every example packet of ARI-PROTOCOL.md §3, §5 and Appendix A.

One table, :data:`VECTORS`, of ``(name, version, direction, message, line)``:

* ``direction`` is :data:`PROXY` for a line sent by the Proxy Adapter
  (``parse_proxy_line`` / ``encode_proxy_message``) or :data:`REMOTE` for a line sent by
  a Remote Adapter (``parse_remote_line`` / ``encode_remote_message``);
* ``line`` is the exact wire line without its terminator;
* ``decode_only`` is set (to the reason) when the line is a valid input that this SDK
  would not produce byte for byte, e.g. a ``D|0`` written by the Node SDK.

Names start with the section of the document the line comes from. Timestamps shown as
``<ts>`` in the document are ``1700000000123`` here; other placeholders (``<id>``) get
the ids used elsewhere in the document.

:data:`BAD_LINES` lists lines that must be refused, with the request id and method the
error must carry.
"""

from __future__ import annotations

from typing import NamedTuple

from lightstreamer_adapter.interfaces.data import DiffAlgorithm
from lightstreamer_adapter.interfaces.metadata import (
    Mode,
    MpnDeviceInfo,
    MpnPlatformType,
    MpnSubscriptionInfo,
    SubscriptionStatistics,
    TableInfo,
)
from lightstreamer_adapter.protocol.errors import RemoteProtocolError, UnknownMethodError
from lightstreamer_adapter.protocol.messages import (
    ClearSnapshot,
    CloseNotice,
    DataFailure,
    DataInitRequest,
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
    GetItemDataRequest,
    GetItemsReply,
    GetItemsRequest,
    GetSchemaReply,
    GetSchemaRequest,
    GetUserItemDataReply,
    GetUserItemDataRequest,
    InitReply,
    ItemData,
    Keepalive,
    MetadataFailure,
    MetadataInitRequest,
    Method,
    MpnDeviceAccessRequest,
    MpnDeviceTokenChangeRequest,
    MpnSubscriptionActivationRequest,
    NotifyNewSessionReply,
    NotifyNewSessionRequest,
    NotifyNewTablesReply,
    NotifyNewTablesRequest,
    NotifySessionCloseRequest,
    NotifyTablesCloseRequest,
    NotifyUserMessageRequest,
    NotifyUserReply,
    NotifyUserRequest,
    NotifyUserWithPrincipalRequest,
    RemoteCredentials,
    SubscribeRequest,
    UnsubscribeRequest,
    Update,
    VoidReply,
)
from lightstreamer_adapter.protocol.versions import (
    LATEST,
    V1_8_0,
    V1_8_2,
    V1_8_3,
    V1_9_0,
    V1_9_1,
    ProtocolVersion,
)

PROXY = "proxy"
REMOTE = "remote"

ALL_VERSIONS = (V1_8_0, V1_8_2, V1_8_3, V1_9_0, V1_9_1)


class Vector(NamedTuple):
    """One wire example: ``message`` is ``line`` at ``version``, sent in ``direction``."""

    name: str
    version: ProtocolVersion
    direction: str
    message: object
    line: str
    decode_only: str = ""


class BadLine(NamedTuple):
    """A line that must raise ``error`` carrying ``request_id`` and ``method``."""

    name: str
    version: ProtocolVersion
    direction: str
    line: str | bytes
    error: type[RemoteProtocolError]
    request_id: str | None
    method: str | None


K = ErrorKind
M = Method
TS = "1700000000123"  # the document's <ts>
SESSION = "S8f3da29cfc463220T5454537"
MSA_TOKEN = "f74d8ffc5ee7cb31749a329a8f9202867c0a9906e80ee7f9eeccca1f24c5aaf1"


def err(kind: ErrorKind, message: str | None, *extras: object) -> ErrorInfo:
    """Shorthand for an ErrorInfo with positional extras."""
    return ErrorInfo(kind, message, *extras)  # type: ignore[arg-type]


def v(
    name: str,
    version: ProtocolVersion,
    direction: str,
    message: object,
    line: str,
    decode_only: str = "",
) -> Vector:
    return Vector(name, version, direction, message, line, decode_only)


# Tables of the examples (§3.11).
A2_TABLE = TableInfo(
    1, Mode.MERGE, "item1 item2", "last_price time", 1, 2, None, "QUOTE_ADAPTER",
    ["item1", "item2"],
)  # fmt: skip
NNT_19_TABLE = TableInfo(
    1, Mode.MERGE, "item1 item2", "last_price time", 1, 2, None, "QUOTES", ["item1", "item2"]
)
NTC_19_STATS_TABLE = TableInfo(
    1, Mode.MERGE, "item1 item2", "last_price time", 1, 2, None, "QUOTES", ["item1", "item2"],
    [SubscriptionStatistics(120, 0, 15), SubscriptionStatistics(98, 0, 3)],
)  # fmt: skip
NNT_18_TABLES = (
    TableInfo(1, Mode.MERGE, "nasdaq100_AA_AL", "short", 1, 5, None),
    TableInfo(2, Mode.DISTINCT, "nasdaq100_AA_AL", "medium", 4, 3, "selector"),
)
MSA_19_TABLE = TableInfo(
    1, Mode.MERGE, "item4 item19", "stock_name last_price time", 1, 2, None, "STOCKS",
    ["item4", "item19"],
)  # fmt: skip
MSA_18_TABLE = TableInfo(1, Mode.MERGE, "item4 item19", "stock_name last_price time", 1, 2)

# Appendix B encoder rows: (input, BC, Smart). The doc's ␉ is a raw TAB.
APPENDIX_B = (
    ("#", "%23", "%23"),
    ("$", "%24", "%24"),
    ("#x", "%23x", "#x"),
    ("$1", "%241", "$1"),
    ("a b", "a+b", "a b"),
    ("a|b", "a%7Cb", "a%7Cb"),
    ("50%+1", "50%25%2B1", "50%25%2B1"),
    ("a+b", "a%2Bb", "a%2Bb"),
    ("line1\r\nline2", "line1%0D%0Aline2", "line1%0D%0Aline2"),
    ("é", "%C3%A9", "é"),
    ("€ 5", "%E2%82%AC+5", "€ 5"),
    ("value\U0002996a", "value%F0%A9%A5%AA", "value\U0002996a"),
    ("~*'()!", "%7E*%27%28%29%21", "~*'()!"),
    ("x=y&z", "x%3Dy%26z", "x=y&z"),
    ("Python Adapter SDK", "Python+Adapter+SDK", "Python Adapter SDK"),
    (" lead", "+lead", " lead"),
    ("trail ", "trail+", "trail "),
    ("tab\there", "tab%09here", "tab\there"),
)
_B_VALUES = {f"f{n}": row[0] for n, row in enumerate(APPENDIX_B)}
_B_VALUES.update({"null": None, "empty": ""})
_B_SMART = "".join(f"|S|f{n}|S|{row[2]}" for n, row in enumerate(APPENDIX_B))
_B_BC = "".join(f"|S|f{n}|S|{row[1]}" for n, row in enumerate(APPENDIX_B))

VECTORS: list[Vector] = [
    # ---------------------------------------------------------------- §3 examples
    # §3.3 / Appendix B: every encoder row, as UD3 values (items 27-29, 46-47).
    v("s3_appendix_b_smart", V1_9_1, REMOTE, Update(TS, "item", "SUBID", False, _B_VALUES),
      f"{TS}|UD3|S|item|S|SUBID|B|0{_B_SMART}|S|null|S|#|S|empty|S|$"),
    v("s3_appendix_b_bc", V1_8_3, REMOTE, Update(TS, "item", "SUBID", False, _B_VALUES),
      f"{TS}|UD3|S|item|S|SUBID|B|0{_B_BC}|S|null|S|#|S|empty|S|$"),
    # §3.3.2 Smart examples, as field names and values.
    v("s3_3_2_smart_examples", V1_9_1, REMOTE,
      Update(TS, "An Item Name", "SUBID", True, {"field_|": "#", "#x": "50%+1", "v": "value€"}),
      f"{TS}|UD3|S|An Item Name|S|SUBID|B|1|S|field_%7C|S|%23|S|#x|S|50%25%2B1|S|v|S|value€"),
    # §3.3.2: a raw "+" from another encoder is a literal "+"; lower-case hex accepted.
    v("s3_3_2_raw_plus_lower_hex", V1_9_1, PROXY, SubscribeRequest("X", "a+b café"),
      "X|SUB|S|a+b caf%c3%a9",
      "this SDK writes %2B and upper-case hex; any decoder accepts both"),
    # §3.4: DPI is BC even in 1.9 (Node test "P1+%0D" -> "P1 \r"), RAC too (item 26).
    v("s3_4_dpi_is_bc", V1_9_1, PROXY,
      DataInitRequest("ID0", {"ARI.version": "1.9.1", "P1 \r": "V1 \U0002996a"}),
      "ID0|DPI|S|ARI.version|S|1.9.1|S|P1+%0D|S|V1+%F0%A9%A5%AA"),
    v("s3_4_rac_is_bc", V1_9_1, REMOTE, RemoteCredentials({"user": "extra $"}),
      "1|RAC|S|user|S|extra+%24"),
    v("s3_4_ud3_is_smart", V1_9_1, REMOTE,
      Update(TS, "item", "SUBID", False, {"field_|": "extra $"}),
      f"{TS}|UD3|S|item|S|SUBID|B|0|S|field_%7C|S|extra $"),
    # §3.6 / Appendix C 14: a table mode "#" or "$" is tolerated (mode unknown).
    v("s3_6_table_mode_null", V1_9_1, PROXY,
      NotifyNewTablesRequest("X", "u", SESSION, (
          TableInfo(1, None, "g", "s", 1, 1, None, "DA", []),)),
      f"X|NNT|S|u|S|{SESSION}|I|1|M|#|S|g|S|DA|S|s|I|1|I|1|S|#|I|0"),
    v("s3_6_table_mode_empty", V1_8_3, PROXY,
      NotifyNewTablesRequest("X", "u", SESSION, (TableInfo(1, None, "g", "s", 1, 1, None),)),
      f"X|NNT|S|u|S|{SESSION}|I|1|M|$|S|g|S|s|I|1|I|1|S|#",
      "'$' reads as an unknown mode, which this SDK writes as '#'"),
    # §3.8 / item 73: an unknown platform letter is kept as a string.
    v("s3_8_unknown_platform", V1_9_1, PROXY,
      MpnDeviceAccessRequest("FAKEID", "user", "FAKESESSID",
                             MpnDeviceInfo("W", "appID", "deviceToken")),
      "FAKEID|MDA|S|user|S|FAKESESSID|P|W|S|appID|S|deviceToken"),
    # §3.10: EC with a null client message (item 58).
    v("s3_10_credits_null_client_message", V1_9_1, REMOTE,
      ErrorReply("FAKEID", M.NUM, err(K.CREDITS, "No credits", -2, None)),
      "FAKEID|NUM|EC|No credits|-2|#"),
    # ---------------------------------------------------------------- §2.4
    v("s2_4_fst_error_reply", V1_9_1, PROXY,
      ForceSessionTerminationReply("64", err(K.GENERIC, "Termination refused")),
      "64|FST|E|Termination refused"),
    v("s2_4_fus_reply_false", V1_9_1, PROXY, ForceUnsubscriptionReply("66", False),
      "66|FUS|B|0"),
    v("s2_4_fus_error_reply", V1_9_1, PROXY,
      ForceUnsubscriptionReply("66", error=err(K.GENERIC, "Table not found")),
      "66|FUS|E|Table not found"),
    # ---------------------------------------------------------------- §4.3 refusals
    v("s4_3_dpi_refused_node", LATEST, REMOTE,
      ErrorReply("10000010c3e4d0462", M.DPI, err(K.DATA, "Unsupported protocol version")),
      "10000010c3e4d0462|DPI|ED|Unsupported+protocol+version"),
    v("s4_3_dpi_refused_node_190", LATEST, REMOTE,
      ErrorReply("10000010c3e4d0462", M.DPI, err(K.DATA, "Unsupported Proxy Adapter version")),
      "10000010c3e4d0462|DPI|ED|Unsupported+Proxy+Adapter+version"),
    v("s4_3_dpi_refused_java", LATEST, REMOTE,
      ErrorReply("10000010c3e4d0462", M.DPI,
                 err(K.GENERIC, "Unsupported Proxy Adapter version")),
      "10000010c3e4d0462|DPI|E|Unsupported+Proxy+Adapter+version"),
    v("s4_3_mpi_refused_node", LATEST, REMOTE,
      ErrorReply("10000010c3e4d0462", M.MPI, err(K.METADATA, "Unsupported protocol version")),
      "10000010c3e4d0462|MPI|EM|Unsupported+protocol+version"),
    v("s4_3_dpi_refused_py131", LATEST, REMOTE,
      ErrorReply("10000010c3e4d0462", M.DPI,
                 err(K.GENERIC, "Incompatible Proxy Adapter for protocol version: 1.9.0")),
      "10000010c3e4d0462|DPI|E|Incompatible+Proxy+Adapter+for+protocol+version%3A+1.9.0"),
    # ---------------------------------------------------------------- §5.1 RAC
    v("s5_1_rac", LATEST, REMOTE, RemoteCredentials.create(),
      "1|RAC|S|enableClosePacket|S|true|S|SDK|S|Python+Adapter+SDK"),
    v("s5_1_rac_credentials", LATEST, REMOTE, RemoteCredentials.create("remote1", "fdhjkslghak"),
      "1|RAC|S|user|S|remote1|S|password|S|fdhjkslghak|S|enableClosePacket|S|true"
      "|S|SDK|S|Python+Adapter+SDK"),
    v("s5_1_rac_node_escapes", LATEST, REMOTE,
      RemoteCredentials({"user": "my_user_\r", "password": "my_password_\U0002996a",
                         "enableClosePacket": "true"}),
      "1|RAC|S|user|S|my_user_%0D|S|password|S|my_password_%F0%A9%A5%AA"
      "|S|enableClosePacket|S|true"),
    # ---------------------------------------------------------------- §5.2 KEEPALIVE
    v("s5_2_keepalive", LATEST, REMOTE, Keepalive(), "KEEPALIVE"),
    v("s5_2_keepalive_from_proxy", LATEST, PROXY, Keepalive(), "KEEPALIVE"),  # item 10
    # ---------------------------------------------------------------- §5.3 CLOSE
    v("s5_3_close_credentials", LATEST, PROXY, CloseNotice({"reason": "wrong credentials"}),
      "0|CLOSE|S|reason|S|wrong+credentials"),
    v("s5_3_close_keepalive", LATEST, PROXY, CloseNotice({"reason": "keepalive timeout"}),
      "0|CLOSE|S|reason|S|keepalive+timeout"),
    v("s5_3_close_any", V1_8_3, PROXY, CloseNotice({"reason": "any-reason"}),
      "0|CLOSE|S|reason|S|any-reason"),
    # ---------------------------------------------------------------- §5.4, §5.5 FAL
    v("s5_4_data_failure", V1_9_1, REMOTE, DataFailure(TS, "Generic exception"),
      f"{TS}|FAL|E|Generic exception"),
    v("s5_4_data_failure_18", V1_8_3, REMOTE, DataFailure(TS, "Generic exception"),
      f"{TS}|FAL|E|Generic+exception"),
    v("s5_4_data_failure_null", V1_9_1, REMOTE, DataFailure(TS, None), f"{TS}|FAL|E|#"),
    v("s5_5_metadata_failure", V1_9_1, REMOTE, MetadataFailure("Database connection lost"),
      "2|FAL|E|Database connection lost"),
    # ---------------------------------------------------------------- §5.6 DPI
    v("s5_6_dpi_tutorial", V1_9_0, PROXY,
      DataInitRequest("1000001853ec66d38", {
          "ARI.version": "1.9.0", "data_provider.name": "DEFAULT",
          "adapters_conf.id": "PROXY_HELLOWORLD_SOCKETS"}),
      "1000001853ec66d38|DPI|S|ARI.version|S|1.9.0|S|data_provider.name|S|DEFAULT"
      "|S|adapters_conf.id|S|PROXY_HELLOWORLD_SOCKETS"),
    v("s5_6_dpi_tutorial_reply", V1_9_0, REMOTE,
      InitReply("1000001853ec66d38", M.DPI, {"ARI.version": "1.9.0"}),
      "1000001853ec66d38|DPI|S|ARI.version|S|1.9.0"),
    v("s5_6_dpi_74", LATEST, PROXY,
      DataInitRequest("10000010c3e4d0462", {
          "ARI.version": "1.9.1", "keepalive_hint.millis": "8000", "adapters_conf.id": "DEMO",
          "data_provider.name": "QUOTE_ADAPTER",
          "remote:feed_url": "http://feed.example.com/q"}),
      "10000010c3e4d0462|DPI|S|ARI.version|S|1.9.1|S|keepalive_hint.millis|S|8000"
      "|S|adapters_conf.id|S|DEMO|S|data_provider.name|S|QUOTE_ADAPTER"
      "|S|remote%3Afeed_url|S|http%3A%2F%2Ffeed.example.com%2Fq"),
    v("s5_6_dpi_74_reply", V1_9_1, REMOTE,
      InitReply("10000010c3e4d0462", M.DPI, {"ARI.version": "1.9.1"}),
      "10000010c3e4d0462|DPI|S|ARI.version|S|1.9.1"),
    v("s5_6_dpi_error_data", V1_8_3, REMOTE,
      ErrorReply("10000010c3e4d0462", M.DPI, err(K.DATA, "The ID must be supplied")),
      "10000010c3e4d0462|DPI|ED|The+ID+must+be+supplied"),
    v("s5_6_dpi_error_generic", V1_8_3, REMOTE,
      ErrorReply("10000010c3e4d0462", M.DPI, err(K.GENERIC, "RuntimeError")),
      "10000010c3e4d0462|DPI|E|RuntimeError"),
    v("s5_6_dpi_error_node", V1_9_1, REMOTE,
      ErrorReply("ID0", M.DPI, err(K.DATA, "Unsupported Proxy Adapter version")),
      "ID0|DPI|ED|Unsupported+Proxy+Adapter+version"),
    v("s5_6_dpi_180_no_params", V1_8_0, PROXY, DataInitRequest("ID1"), "ID1|DPI"),
    v("s5_6_dpi_180_reply", V1_8_0, REMOTE, InitReply("ID1", M.DPI), "ID1|DPI|V"),
    # ---------------------------------------------------------------- §5.7 SUB
    v("s5_7_sub", V1_9_1, PROXY, SubscribeRequest("FAKEID", "An Item Name"),
      "FAKEID|SUB|S|An Item Name"),
    v("s5_7_sub_reply", V1_9_1, REMOTE, VoidReply("FAKEID", M.SUB), "FAKEID|SUB|V"),
    v("s5_7_sub_tutorial", V1_9_0, PROXY, SubscribeRequest("2000001853ec66d38", "greetings"),
      "2000001853ec66d38|SUB|S|greetings"),
    v("s5_7_sub_tutorial_reply", V1_9_0, REMOTE, VoidReply("2000001853ec66d38", M.SUB),
      "2000001853ec66d38|SUB|V"),
    v("s5_7_sub_error", V1_9_1, REMOTE,
      ErrorReply("FAKEID", M.SUB, err(K.SUBSCRIPTION, "An exception")),
      "FAKEID|SUB|EU|An exception"),
    v("s5_7_sub_too_late", V1_9_1, REMOTE,
      ErrorReply("ID3", M.SUB, err(K.SUBSCRIPTION, "Subscribe request come too late")),
      "ID3|SUB|EU|Subscribe request come too late"),
    v("s5_7_sub_error_18", V1_8_3, REMOTE,
      ErrorReply("10000010c3e4d0462", M.SUB, err(K.SUBSCRIPTION, "Subscription Error")),
      "10000010c3e4d0462|SUB|EU|Subscription+Error"),
    # ---------------------------------------------------------------- §5.8 USB
    v("s5_8_usb", V1_9_1, PROXY, UnsubscribeRequest("ID2", "item1"), "ID2|USB|S|item1"),
    v("s5_8_usb_reply", V1_9_1, REMOTE, VoidReply("ID2", M.USB), "ID2|USB|V"),
    v("s5_8_usb_error_18", V1_8_3, REMOTE,
      ErrorReply("10000010c3e4d0463", M.USB, err(K.FAILURE, "Failure Error")),
      "10000010c3e4d0463|USB|EF|Failure+Error"),
    # ---------------------------------------------------------------- §5.9 UD3 (46-49)
    v("s5_9_ud3_tutorial", V1_9_0, REMOTE,
      Update("0", "greetings", "2000001853ec66d38", False,
             {"timestamp": "Now is the time", "message": "Hello socket world!"}),
      "0|UD3|S|greetings|S|2000001853ec66d38|B|0|S|timestamp|S|Now is the time"
      "|S|message|S|Hello socket world!"),
    v("s5_9_ud3_node", V1_9_1, REMOTE,
      Update(TS, "AnItemName", "FAKEID", True,
             {"field1": "A string", "field2": "", "field3": None}),
      f"{TS}|UD3|S|AnItemName|S|FAKEID|B|1|S|field1|S|A string|S|field2|S|$|S|field3|S|#"),
    v("s5_9_ud3_node_escapes", V1_9_1, REMOTE,
      Update(TS, "AnItemName", "FAKEID", True, {
          "field1": "A string", "field_\r": "value\U0002996a", "field_$": "#",
          "field_+": "value\u022c", "field_|": "value€"}),
      f"{TS}|UD3|S|AnItemName|S|FAKEID|B|1|S|field1|S|A string|S|field_%0D|S|value\U0002996a"
      "|S|field_$|S|%23|S|field_%2B|S|value\u022c|S|field_%7C|S|value€"),
    v("s5_9_ud3_bytes_18", V1_8_3, REMOTE,
      Update(TS, "item-nosnap", "10000010c3e4d0462", True,
             {"pct_change": b"0.44", "last_price": b"6.82", "time": None}),
      f"{TS}|UD3|S|item-nosnap|S|10000010c3e4d0462|B|1|S|pct_change|Y|MC40NA=="
      "|S|last_price|Y|Ni44Mg==|S|time|S|#"),
    v("s5_9_ud3_no_fields", V1_9_1, REMOTE, Update(TS, "item", "FAKEID", False),
      f"{TS}|UD3|S|item|S|FAKEID|B|0"),
    # ---------------------------------------------------------------- §5.10-5.12 (50-51)
    v("s5_10_eos", V1_9_1, REMOTE, EndOfSnapshot(TS, "An Item Name", "FAKEID"),
      f"{TS}|EOS|S|An Item Name|S|FAKEID"),
    v("s5_10_eos_18", V1_8_3, REMOTE, EndOfSnapshot(TS, "An Item Name", "FAKEID"),
      f"{TS}|EOS|S|An+Item+Name|S|FAKEID"),
    v("s5_11_cls", V1_9_1, REMOTE, ClearSnapshot(TS, "AnItemId", "FAKEID"),
      f"{TS}|CLS|S|AnItemId|S|FAKEID"),
    v("s5_12_dfd", V1_9_1, REMOTE,
      DeclareFieldDiffOrder(TS, "AnItemName", "FAKEID", {
          "field1": (DiffAlgorithm.JSONPATCH,), "field2": None, "field3": (),
          "field5": (DiffAlgorithm.JSONPATCH, DiffAlgorithm.DIFF_MATCH_PATCH)}),
      f"{TS}|DFD|S|AnItemName|S|FAKEID|S|field1|F|J|S|field2|F|#|S|field3|F|$|S|field5|F|JM"),
    # ---------------------------------------------------------------- §5.13 MPI
    v("s5_13_mpi_py131", V1_8_3, PROXY,
      MetadataInitRequest("10000010c3e4d0462", {
          "adapters_conf.id": "DEMO", "keepalive_hint.millis": "-510",
          "proxy.instance_id": "hewbc3ikbbctyui", "ARI.version": "1.8.3"}),
      "10000010c3e4d0462|MPI|S|adapters_conf.id|S|DEMO|S|keepalive_hint.millis|S|-510"
      "|S|proxy.instance_id|S|hewbc3ikbbctyui|S|ARI.version|S|1.8.3"),
    v("s5_13_mpi_py131_reply", V1_8_3, REMOTE,
      InitReply("10000010c3e4d0462", M.MPI, {"ARI.version": "1.8.3"}),
      "10000010c3e4d0462|MPI|S|ARI.version|S|1.8.3"),
    v("s5_13_mpi_74", V1_9_1, PROXY,
      MetadataInitRequest("20000010c3e4d0462",
                          {"ARI.version": "1.9.1", "adapters_conf.id": "DEMO"}),
      "20000010c3e4d0462|MPI|S|ARI.version|S|1.9.1|S|adapters_conf.id|S|DEMO"),
    v("s5_13_mpi_74_reply", V1_9_1, REMOTE,
      InitReply("20000010c3e4d0462", M.MPI, {"ARI.version": "1.9.1"}),
      "20000010c3e4d0462|MPI|S|ARI.version|S|1.9.1"),
    v("s5_13_mpi_error", V1_8_3, REMOTE,
      ErrorReply("10000010c3e4d0462", M.MPI, err(K.METADATA, "The ID must be supplied")),
      "10000010c3e4d0462|MPI|EM|The+ID+must+be+supplied"),
    v("s5_13_mpi_error_generic", V1_9_1, REMOTE,
      ErrorReply("FAKEID", M.MPI, err(K.GENERIC, "A Message")), "FAKEID|MPI|E|A+Message"),
    # ---------------------------------------------------------------- §5.14 NUS (55, 57)
    v("s5_14_nus", V1_9_1, PROXY,
      NotifyUserRequest("FAKEID", "user", "password",
                        {"header1": "value 1", "header2": "value 2"}),
      "FAKEID|NUS|S|user|S|password|S|header1|S|value 1|S|header2|S|value 2"),
    v("s5_14_nus_reply", V1_9_1, REMOTE, NotifyUserReply("FAKEID", M.NUS, 12.34, True),
      "FAKEID|NUS|D|12.34|B|1"),
    v("s5_14_nus_access", V1_9_1, REMOTE,
      ErrorReply("FAKEID", M.NUS, err(K.ACCESS, "A Message")), "FAKEID|NUS|EA|A Message"),
    v("s5_14_nus_credits", V1_9_1, REMOTE,
      ErrorReply("FAKEID", M.NUS, err(K.CREDITS, "A Message", -1, "Message for client")),
      "FAKEID|NUS|EC|A Message|-1|Message for client"),
    v("s5_14_nus_resource_unavailable", V1_9_1, REMOTE,
      ErrorReply("FAKEID", M.NUS,
                 err(K.RESOURCE_UNAVAILABLE, "Authentication back-end busy")),
      "FAKEID|NUS|ER|Authentication back-end busy"),
    v("s5_14_nus_smart_headers", V1_9_1, PROXY,
      NotifyUserRequest("FAKEID", "user", "password", {
          "header \r": "value \U0002996a", "header $": "#", "header +": "value \u022c",
          "header |": "value €"}),
      "FAKEID|NUS|S|user|S|password|S|header %0D|S|value \U0002996a|S|header $|S|%23"
      "|S|header %2B|S|value \u022c|S|header %7C|S|value €"),
    v("s5_14_nus_18", V1_8_3, PROXY,
      NotifyUserRequest("10000010c3e4d0462", "userX", "remote_password",
                        {"host": "www.mycompany.com"}),
      "10000010c3e4d0462|NUS|S|userX|S|remote_password|S|host|S|www.mycompany.com"),
    v("s5_14_nus_18_reply", V1_8_3, REMOTE,
      NotifyUserReply("10000010c3e4d0462", M.NUS, 12.3, True),
      "10000010c3e4d0462|NUS|D|12.3|B|1"),
    v("s5_14_nus_18_credits", V1_8_3, REMOTE,
      ErrorReply("10000010c3e4d0462", M.NUS, err(K.CREDITS, "CreditsError", 10,
                                                 "User not allowed")),
      "10000010c3e4d0462|NUS|EC|CreditsError|10|User+not+allowed"),
    # ---------------------------------------------------------------- §5.15 NUA (56)
    v("s5_15_nua", V1_9_1, PROXY,
      NotifyUserWithPrincipalRequest("FAKEID", "user", "password", "principal",
                                     {"header1": "value 1", "header2": "value 2"}),
      "FAKEID|NUA|S|user|S|password|S|principal|S|header1|S|value 1|S|header2|S|value 2"),
    v("s5_15_nua_reply", V1_9_1, REMOTE, NotifyUserReply("FAKEID", M.NUA, 12.34, True),
      "FAKEID|NUA|D|12.34|B|1"),
    v("s5_15_nua_error", V1_9_1, REMOTE,
      ErrorReply("FAKEID", M.NUA, err(K.GENERIC, "A Message")), "FAKEID|NUA|E|A Message"),
    # ---------------------------------------------------------------- §5.16 GIS (59-60)
    v("s5_16_gis", V1_9_1, PROXY, GetItemsRequest("FAKEID", "user", "group", "FAKESESSID"),
      "FAKEID|GIS|S|user|S|group|S|FAKESESSID"),
    v("s5_16_gis_reply", V1_9_1, REMOTE, GetItemsReply("FAKEID", ("Item 1", "Item 2")),
      "FAKEID|GIS|S|Item 1|S|Item 2"),
    v("s5_16_gis_18", V1_8_3, PROXY,
      GetItemsRequest("50000010c3e4d0462", "user1", "nasdaq100_AA_AL abc", SESSION),
      f"50000010c3e4d0462|GIS|S|user1|S|nasdaq100_AA_AL+abc|S|{SESSION}"),
    v("s5_16_gis_18_reply", V1_8_3, REMOTE,
      GetItemsReply("50000010c3e4d0462", ("nasdaq100_AA_AL", "abc")),
      "50000010c3e4d0462|GIS|S|nasdaq100_AA_AL|S|abc"),
    v("s5_16_gis_18_empty", V1_8_3, REMOTE, GetItemsReply("50000010c3e4d0462"),
      "50000010c3e4d0462|GIS"),
    v("s5_16_gis_18_error", V1_8_3, REMOTE,
      ErrorReply("50000010c3e4d0462", M.GIS, err(K.ITEMS, "Empty User")),
      "50000010c3e4d0462|GIS|EI|Empty+User"),
    # ---------------------------------------------------------------- §5.17 GSC (60-61)
    v("s5_17_gsc", V1_9_1, PROXY,
      GetSchemaRequest("FAKEID", "user", "group", "schema", "FAKESESSID"),
      "FAKEID|GSC|S|user|S|group|S|schema|S|FAKESESSID"),
    v("s5_17_gsc_reply", V1_9_1, REMOTE, GetSchemaReply("FAKEID", ("Field 1", "Field 2")),
      "FAKEID|GSC|S|Field 1|S|Field 2"),
    v("s5_17_gsc_error", V1_9_1, REMOTE,
      ErrorReply("FAKEID", M.GSC, err(K.SCHEMA, "A Message")), "FAKEID|GSC|ES|A Message"),
    v("s5_17_gsc_empty", V1_9_1, REMOTE, GetSchemaReply("FAKEID"), "FAKEID|GSC"),
    v("s5_17_gsc_18", V1_8_3, PROXY,
      GetSchemaRequest("70000010c3e4d0462", "user1", "nasdaq100_AA_AL abc", "short1 short2",
                       SESSION),
      f"70000010c3e4d0462|GSC|S|user1|S|nasdaq100_AA_AL+abc|S|short1+short2|S|{SESSION}"),
    v("s5_17_gsc_18_reply", V1_8_3, REMOTE,
      GetSchemaReply("70000010c3e4d0462", ("short1", "short2")),
      "70000010c3e4d0462|GSC|S|short1|S|short2"),
    # ---------------------------------------------------------------- §5.18 GIT (62, 64)
    v("s5_18_git", V1_9_1, PROXY,
      GetItemDataRequest("FAKEID", ("An Item Name1", "An Item Name2")),
      "FAKEID|GIT|S|An Item Name1|S|An Item Name2"),
    v("s5_18_git_reply", V1_9_1, REMOTE,
      GetItemDataReply("FAKEID", (ItemData(10, 0.5, (Mode.RAW, Mode.MERGE)),
                                  ItemData(5, 0.0, (Mode.DISTINCT,)))),
      "FAKEID|GIT|I|10|D|0.5|M|RM|I|5|D|0.0|M|D"),
    v("s5_18_git_reply_node", V1_9_1, REMOTE,
      GetItemDataReply("FAKEID", (ItemData(10, 0.5, (Mode.RAW, Mode.MERGE)),
                                  ItemData(5, 0.0, (Mode.DISTINCT,)))),
      "FAKEID|GIT|I|10|D|0.5|M|RM|I|5|D|0|M|D",
      "Node writes the double zero as '0'; this SDK writes repr(0.0) = '0.0'"),
    v("s5_18_git_18", V1_8_3, PROXY,
      GetItemDataRequest("70000010c3e4d0462", ("item_1", "item_2", "item_3")),
      "70000010c3e4d0462|GIT|S|item_1|S|item_2|S|item_3"),
    v("s5_18_git_18_reply", V1_8_3, REMOTE,
      GetItemDataReply("70000010c3e4d0462", (
          ItemData(10, 4.5, (Mode.MERGE, Mode.DISTINCT)),
          ItemData(20, 7.3, (Mode.RAW, Mode.MERGE, Mode.COMMAND)),
          ItemData(0, 0.0, ()))),
      "70000010c3e4d0462|GIT|I|10|D|4.5|M|MD|I|20|D|7.3|M|RMC|I|0|D|0.0|M|$"),
    v("s5_18_git_18_error", V1_8_3, REMOTE,
      ErrorReply("70000010c3e4d0462", M.GIT, err(K.GENERIC, "Error for provided item")),
      "70000010c3e4d0462|GIT|E|Error+for+provided+item"),
    v("s5_18_git_empty", V1_9_1, PROXY, GetItemDataRequest("FAKEID"), "FAKEID|GIT"),
    v("s5_18_git_empty_reply", V1_9_1, REMOTE, GetItemDataReply("FAKEID"), "FAKEID|GIT"),
    # ---------------------------------------------------------------- §5.19 GUI (63)
    v("s5_19_gui", V1_9_1, PROXY,
      GetUserItemDataRequest("FAKEID", "user", ("item 1", "item 2")),
      "FAKEID|GUI|S|user|S|item 1|S|item 2"),
    v("s5_19_gui_reply", V1_9_1, REMOTE,
      GetUserItemDataReply("FAKEID", (ItemData(30, 3.0, tuple(Mode)),
                                      ItemData(40, 2.25, (Mode.MERGE,)))),
      "FAKEID|GUI|I|30|D|3.0|M|RMDC|I|40|D|2.25|M|M"),
    v("s5_19_gui_reply_node", V1_9_1, REMOTE,
      GetUserItemDataReply("FAKEID", (ItemData(30, 3.0, tuple(Mode)),
                                      ItemData(40, 2.25, (Mode.MERGE,)))),
      "FAKEID|GUI|I|30|D|3|M|RMDC|I|40|D|2.25|M|M",
      "Node writes the double 3.0 as '3'; this SDK writes '3.0'"),
    v("s5_19_gui_18_reply", V1_8_3, REMOTE,
      GetUserItemDataReply("70000010c3e4d0462", (
          ItemData(30, 170.5, tuple(Mode)), ItemData(40, 27.3, (Mode.RAW, Mode.MERGE)),
          ItemData(0, 0.0, ()))),
      "70000010c3e4d0462|GUI|I|30|D|170.5|M|RMDC|I|40|D|27.3|M|RM|I|0|D|0.0|M|$"),
    # ---------------------------------------------------------------- §5.20 NUM (65)
    v("s5_20_num", V1_9_1, PROXY,
      NotifyUserMessageRequest("FAKEID", "user", "FAKESESSID", "This is a message"),
      "FAKEID|NUM|S|user|S|FAKESESSID|S|This is a message"),
    v("s5_20_num_reply", V1_9_1, REMOTE, VoidReply("FAKEID", M.NUM), "FAKEID|NUM|V"),
    v("s5_20_num_credits", V1_8_3, REMOTE,
      ErrorReply("d0000010c3e4d0462", M.NUM, err(K.CREDITS, "CreditsError", 4,
                                                 "clientErrorMsg")),
      "d0000010c3e4d0462|NUM|EC|CreditsError|4|clientErrorMsg"),
    # ---------------------------------------------------------------- §5.21 NNS (66-67)
    v("s5_21_nns", V1_9_1, PROXY,
      NotifyNewSessionRequest("FAKEID", "user", "FAKESESSID", {"prop1": "val1", "prop2": "val2"}),
      "FAKEID|NNS|S|user|S|FAKESESSID|S|prop1|S|val1|S|prop2|S|val2"),
    v("s5_21_nns_reply", V1_9_1, REMOTE, NotifyNewSessionReply("FAKEID"), "FAKEID|NNS|V"),
    v("s5_21_nns_reply_ttl", V1_9_1, REMOTE, NotifyNewSessionReply("FAKEID", 3600),
      "FAKEID|NNS|I|3600"),
    v("s5_21_nns_conflicting", V1_9_1, REMOTE,
      ErrorReply("FAKEID", M.NNS, err(K.CONFLICTING_SESSION, "A Message", -1,
                                      "Message for client", "SXXXXXXXXXXXXXXXXX")),
      "FAKEID|NNS|EX|A Message|-1|Message for client|SXXXXXXXXXXXXXXXXX"),
    v("s5_21_nns_notification", V1_9_1, REMOTE,
      ErrorReply("FAKEID", M.NNS, err(K.NOTIFICATION, "A Message")),
      "FAKEID|NNS|EN|A Message"),
    v("s5_21_nns_conflicting_18", V1_8_3, REMOTE,
      ErrorReply("10000020b3e6d0462", M.NNS, err(K.CONFLICTING_SESSION, "ConflictingSessionError",
                                                 11, "clientErrorMsg", "conflictingSessionID")),
      "10000020b3e6d0462|NNS|EX|ConflictingSessionError|11|clientErrorMsg|conflictingSessionID"),
    v("s5_21_nns_reply_18", V1_8_3, REMOTE, NotifyNewSessionReply("FAKEID"), "FAKEID|NNS|V"),
    # ---------------------------------------------------------------- §5.22 NSC (68)
    v("s5_22_nsc", V1_9_1, PROXY, NotifySessionCloseRequest("FAKEID", "FAKESESSID"),
      "FAKEID|NSC|S|FAKESESSID"),
    v("s5_22_nsc_reply", V1_9_1, REMOTE, VoidReply("FAKEID", M.NSC), "FAKEID|NSC|V"),
    v("s5_22_nsc_error_18", V1_8_3, REMOTE,
      ErrorReply("20000010c3e4d0462", M.NSC, err(K.NOTIFICATION, "Empty SessionId")),
      "20000010c3e4d0462|NSC|EN|Empty+SessionId"),
    # ---------------------------------------------------------------- §5.23 NNT (69-70)
    v("s5_23_nnt", V1_9_1, PROXY,
      NotifyNewTablesRequest("f0000010c3e4d0462", "user1", SESSION, (NNT_19_TABLE,)),
      f"f0000010c3e4d0462|NNT|S|user1|S|{SESSION}|I|1|M|M|S|item1 item2|S|QUOTES"
      "|S|last_price time|I|1|I|2|S|#|I|2|S|item1|S|item2"),
    v("s5_23_nnt_reply_flags", V1_9_1, REMOTE,
      NotifyNewTablesReply("f0000010c3e4d0462", (True, True)), "f0000010c3e4d0462|NNT|B|1|B|1"),
    v("s5_23_nnt_18", V1_8_3, PROXY,
      NotifyNewTablesRequest("f0000010c3e4d0462", None, SESSION, NNT_18_TABLES),
      f"f0000010c3e4d0462|NNT|S|#|S|{SESSION}|I|1|M|M|S|nasdaq100_AA_AL|S|short|I|1|I|5"
      "|S|#|I|2|M|D|S|nasdaq100_AA_AL|S|medium|I|4|I|3|S|selector"),
    v("s5_23_nnt_18_reply", V1_8_3, REMOTE, NotifyNewTablesReply("f0000010c3e4d0462"),
      "f0000010c3e4d0462|NNT|V"),
    v("s5_23_nnt_18_credits", V1_8_3, REMOTE,
      ErrorReply("f0000010c3e4d0462", M.NNT, err(K.CREDITS, "CreditsError", 10,
                                                 "clientErrorMsg")),
      "f0000010c3e4d0462|NNT|EC|CreditsError|10|clientErrorMsg"),
    v("s5_23_nnt_reply_void", V1_9_1, REMOTE, NotifyNewTablesReply("f0000010c3e4d0462"),
      "f0000010c3e4d0462|NNT|V"),
    # ---------------------------------------------------------------- §5.24 NTC (69, 71)
    v("s5_24_ntc", V1_9_1, PROXY,
      NotifyTablesCloseRequest("f1000010c3e4d0462", SESSION, (NNT_19_TABLE,)),
      f"f1000010c3e4d0462|NTC|S|{SESSION}|I|1|M|M|S|item1 item2|S|QUOTES|S|last_price time"
      "|I|1|I|2|S|#|I|2|S|item1|S|item2|I|0"),
    v("s5_24_ntc_reply", V1_9_1, REMOTE, VoidReply("f1000010c3e4d0462", M.NTC),
      "f1000010c3e4d0462|NTC|V"),
    v("s5_24_ntc_statistics", V1_9_1, PROXY,
      NotifyTablesCloseRequest("f2000010c3e4d0462", SESSION, (NTC_19_STATS_TABLE,)),
      f"f2000010c3e4d0462|NTC|S|{SESSION}|I|1|M|M|S|item1 item2|S|QUOTES|S|last_price time"
      "|I|1|I|2|S|#|I|2|S|item1|S|item2|I|2|L|120|L|0|L|15|L|98|L|0|L|3"),
    v("s5_24_ntc_18", V1_8_3, PROXY,
      NotifyTablesCloseRequest("f0000010c3e4d0462", SESSION, (
          TableInfo(1, Mode.MERGE, "nasdaq100_AA_AL", "short", 1, 5, None),)),
      f"f0000010c3e4d0462|NTC|S|{SESSION}|I|1|M|M|S|nasdaq100_AA_AL|S|short|I|1|I|5|S|#"),
    v("s5_24_ntc_18_reply", V1_8_3, REMOTE, VoidReply("f0000010c3e4d0462", M.NTC),
      "f0000010c3e4d0462|NTC|V"),
    v("s5_24_ntc_no_tables", V1_9_1, PROXY, NotifyTablesCloseRequest("X", SESSION),
      f"X|NTC|S|{SESSION}"),
    # ---------------------------------------------------------------- §5.25 MDA (73)
    v("s5_25_mda", V1_9_1, PROXY,
      MpnDeviceAccessRequest("FAKEID", "user", "FAKESESSID",
                             MpnDeviceInfo(MpnPlatformType.APPLE, "appID", "deviceToken")),
      "FAKEID|MDA|S|user|S|FAKESESSID|P|A|S|appID|S|deviceToken"),
    v("s5_25_mda_reply", V1_9_1, REMOTE, VoidReply("FAKEID", M.MDA), "FAKEID|MDA|V"),
    v("s5_25_mda_credits", V1_9_1, REMOTE,
      ErrorReply("FAKEID", M.MDA, err(K.CREDITS, "A Message", -1, "Message for client")),
      "FAKEID|MDA|EC|A Message|-1|Message for client"),
    # ---------------------------------------------------------------- §5.26 MSA (72)
    v("s5_26_msa", V1_9_1, PROXY,
      MpnSubscriptionActivationRequest(
          "c00000147c9bc4c74", "user1", "Sc4a1769b6bb83a4aT2852044", MSA_19_TABLE,
          MpnSubscriptionInfo(
              MpnDeviceInfo(MpnPlatformType.APPLE, "com.example.stocklist", MSA_TOKEN),
              '{"aps":{"alert":"${message}","badge":"AUTO"}}',
              "Double.parseDouble(${last_price}) > 1000.0")),
      "c00000147c9bc4c74|MSA|S|user1|S|Sc4a1769b6bb83a4aT2852044|I|1|M|M|S|item4 item19"
      "|S|STOCKS|S|stock_name last_price time|I|1|I|2|I|2|S|item4|S|item19|P|A"
      f"|S|com.example.stocklist|S|{MSA_TOKEN}|S|Double.parseDouble(${{last_price}}) > 1000.0"
      '|S|{"aps":{"alert":"${message}","badge":"AUTO"}}'),
    v("s5_26_msa_reply", V1_9_1, REMOTE, VoidReply("c00000147c9bc4c74", M.MSA),
      "c00000147c9bc4c74|MSA|V"),
    v("s5_26_msa_18", V1_8_3, PROXY,
      MpnSubscriptionActivationRequest(
          "c00000147c9bc4c74", "user1", "Sc4a1769b6bb83a4aT2852044", MSA_18_TABLE,
          MpnSubscriptionInfo(
              MpnDeviceInfo(MpnPlatformType.APPLE, "com.lightstreamer.demo.ios.stocklistdemo",
                            MSA_TOKEN),
              '{"aps":{"alert":"${message}","badge":"AUTO"},"acme2":["${tag1}","${tag2}"]}',
              "Double.parseDouble(${last_price}) > 1000.0")),
      "c00000147c9bc4c74|MSA|S|user1|S|Sc4a1769b6bb83a4aT2852044|I|1|M|M|S|item4+item19"
      "|S|stock_name+last_price+time|I|1|I|2|P|A|S|com.lightstreamer.demo.ios.stocklistdemo"
      f"|S|{MSA_TOKEN}|S|Double.parseDouble%28%24%7Blast_price%7D%29+%3E+1000.0"
      "|S|%7B%22aps%22%3A%7B%22alert%22%3A%22%24%7Bmessage%7D%22%2C%22badge%22%3A%22AUTO%22"
      "%7D%2C%22acme2%22%3A%5B%22%24%7Btag1%7D%22%2C%22%24%7Btag2%7D%22%5D%7D"),
    v("s5_26_msa_credits", V1_9_1, REMOTE,
      ErrorReply("FAKEID", M.MSA, err(K.CREDITS, "A Message", -1, "Message for client")),
      "FAKEID|MSA|EC|A Message|-1|Message for client"),
    # ---------------------------------------------------------------- §5.27 MDC (73)
    v("s5_27_mdc", V1_9_1, PROXY,
      MpnDeviceTokenChangeRequest("FAKEID", "user", "FAKESESSID",
                                  MpnDeviceInfo(MpnPlatformType.GOOGLE, "appID", "deviceToken"),
                                  "deviceToken2"),
      "FAKEID|MDC|S|user|S|FAKESESSID|P|G|S|appID|S|deviceToken|S|deviceToken2"),
    v("s5_27_mdc_reply", V1_9_1, REMOTE, VoidReply("FAKEID", M.MDC), "FAKEID|MDC|V"),
    # ---------------------------------------------------------------- §5.28-5.29 (74-75)
    v("s5_28_fst", V1_9_1, REMOTE, ForceSessionTermination("64", SESSION),
      f"64|FST|S|{SESSION}|V"),
    v("s5_28_fst_reply", V1_9_1, PROXY, ForceSessionTerminationReply("64"), "64|FST|V"),
    v("s5_28_fst_cause", V1_9_1, REMOTE,
      ForceSessionTermination("65", SESSION, -5, "Account suspended"),
      f"65|FST|S|{SESSION}|I|-5|S|Account suspended"),
    v("s5_28_fst_cause_reply", V1_9_1, PROXY, ForceSessionTerminationReply("65"), "65|FST|V"),
    v("s5_29_fus", V1_9_1, REMOTE, ForceUnsubscription("66", SESSION, 1),
      f"66|FUS|S|{SESSION}|I|1"),
    v("s5_29_fus_reply", V1_9_1, PROXY, ForceUnsubscriptionReply("66", True), "66|FUS|B|1"),
    # ---------------------------------------------------------------- A.1
    v("a1_rac", V1_9_1, REMOTE, RemoteCredentials.create(),
      "1|RAC|S|enableClosePacket|S|true|S|SDK|S|Python+Adapter+SDK"),
    v("a1_dpi", V1_9_1, PROXY,
      DataInitRequest("10000010c3e4d0462", {
          "ARI.version": "1.9.1", "keepalive_hint.millis": "8000", "adapters_conf.id": "DEMO",
          "data_provider.name": "QUOTE_ADAPTER"}),
      "10000010c3e4d0462|DPI|S|ARI.version|S|1.9.1|S|keepalive_hint.millis|S|8000"
      "|S|adapters_conf.id|S|DEMO|S|data_provider.name|S|QUOTE_ADAPTER"),
    v("a1_dpi_reply", V1_9_1, REMOTE,
      InitReply("10000010c3e4d0462", M.DPI, {"ARI.version": "1.9.1"}),
      "10000010c3e4d0462|DPI|S|ARI.version|S|1.9.1"),
    v("a1_sub_item1", V1_9_1, PROXY, SubscribeRequest("20000010c3e4d0462", "item1"),
      "20000010c3e4d0462|SUB|S|item1"),
    v("a1_snapshot", V1_9_1, REMOTE,
      Update("1700000000100", "item1", "20000010c3e4d0462", True,
             {"last_price": "12.3", "time": "10:00:00"}),
      "1700000000100|UD3|S|item1|S|20000010c3e4d0462|B|1|S|last_price|S|12.3"
      "|S|time|S|10:00:00"),
    v("a1_eos_item1", V1_9_1, REMOTE, EndOfSnapshot("1700000000101", "item1", "20000010c3e4d0462"),
      "1700000000101|EOS|S|item1|S|20000010c3e4d0462"),
    v("a1_sub_item1_reply", V1_9_1, REMOTE, VoidReply("20000010c3e4d0462", M.SUB),
      "20000010c3e4d0462|SUB|V"),
    v("a1_sub_news", V1_9_1, PROXY, SubscribeRequest("30000010c3e4d0462", "news|item"),
      "30000010c3e4d0462|SUB|S|news%7Citem"),
    v("a1_eos_news", V1_9_1, REMOTE,
      EndOfSnapshot("1700000000200", "news|item", "30000010c3e4d0462"),
      "1700000000200|EOS|S|news%7Citem|S|30000010c3e4d0462"),
    v("a1_sub_news_reply", V1_9_1, REMOTE, VoidReply("30000010c3e4d0462", M.SUB),
      "30000010c3e4d0462|SUB|V"),
    v("a1_update_item1", V1_9_1, REMOTE,
      Update("1700000001100", "item1", "20000010c3e4d0462", False, {"last_price": "12.4"}),
      "1700000001100|UD3|S|item1|S|20000010c3e4d0462|B|0|S|last_price|S|12.4"),
    v("a1_dfd_news", V1_9_1, REMOTE,
      DeclareFieldDiffOrder("1700000001150", "news|item", "30000010c3e4d0462",
                            {"body": (DiffAlgorithm.DIFF_MATCH_PATCH,)}),
      "1700000001150|DFD|S|news%7Citem|S|30000010c3e4d0462|S|body|F|M"),
    v("a1_update_news", V1_9_1, REMOTE,
      Update("1700000001200", "news|item", "30000010c3e4d0462", False,
             {"body": "Rates up 0.25% → markets react"}),
      "1700000001200|UD3|S|news%7Citem|S|30000010c3e4d0462|B|0|S|body"
      "|S|Rates up 0.25%25 → markets react"),
    v("a1_keepalive", V1_9_1, REMOTE, Keepalive(), "KEEPALIVE"),
    v("a1_usb", V1_9_1, PROXY, UnsubscribeRequest("40000010c3e4d0462", "item1"),
      "40000010c3e4d0462|USB|S|item1"),
    v("a1_usb_reply", V1_9_1, REMOTE, VoidReply("40000010c3e4d0462", M.USB),
      "40000010c3e4d0462|USB|V"),
    v("a1_close", V1_9_1, PROXY, CloseNotice({"reason": "server shutting down"}),
      "0|CLOSE|S|reason|S|server+shutting+down"),
    # ---------------------------------------------------------------- A.2
    v("a2_rac", V1_9_1, REMOTE, RemoteCredentials.create("remote1", "s3cr&t"),
      "1|RAC|S|user|S|remote1|S|password|S|s3cr%26t|S|enableClosePacket|S|true"
      "|S|SDK|S|Python+Adapter+SDK"),
    v("a2_mpi", V1_9_1, PROXY,
      MetadataInitRequest("10000020b3e6d0462", {
          "ARI.version": "1.9.1", "adapters_conf.id": "DEMO",
          "proxy.instance_id": "hewbc3ikbbctyui"}),
      "10000020b3e6d0462|MPI|S|ARI.version|S|1.9.1|S|adapters_conf.id|S|DEMO"
      "|S|proxy.instance_id|S|hewbc3ikbbctyui"),
    v("a2_mpi_reply", V1_9_1, REMOTE,
      InitReply("10000020b3e6d0462", M.MPI, {"ARI.version": "1.9.1"}),
      "10000020b3e6d0462|MPI|S|ARI.version|S|1.9.1"),
    v("a2_nus", V1_9_1, PROXY,
      NotifyUserRequest("20000020b3e6d0462", "user1", "pwd1", {
          "host": "push.example.com", "user-agent": "Mozilla/5.0 (X11)",
          "REQUEST_ID": "1a2b3c"}),
      "20000020b3e6d0462|NUS|S|user1|S|pwd1|S|host|S|push.example.com"
      "|S|user-agent|S|Mozilla/5.0 (X11)|S|REQUEST_ID|S|1a2b3c"),
    v("a2_nus_reply", V1_9_1, REMOTE, NotifyUserReply("20000020b3e6d0462", M.NUS, 0.0, True),
      "20000020b3e6d0462|NUS|D|0.0|B|1"),
    v("a2_nns", V1_9_1, PROXY,
      NotifyNewSessionRequest("30000020b3e6d0462", "user1", SESSION, {
          "REMOTE_IP": "192.0.2.10", "CLIENT_TYPE": None, "REQUEST_ID": "1a2b3c"}),
      f"30000020b3e6d0462|NNS|S|user1|S|{SESSION}|S|REMOTE_IP|S|192.0.2.10"
      "|S|CLIENT_TYPE|S|#|S|REQUEST_ID|S|1a2b3c"),
    v("a2_nns_reply", V1_9_1, REMOTE, NotifyNewSessionReply("30000020b3e6d0462", 3600),
      "30000020b3e6d0462|NNS|I|3600"),
    v("a2_gis", V1_9_1, PROXY,
      GetItemsRequest("40000020b3e6d0462", "user1", "item1 item2", SESSION),
      f"40000020b3e6d0462|GIS|S|user1|S|item1 item2|S|{SESSION}"),
    v("a2_gsc", V1_9_1, PROXY,
      GetSchemaRequest("50000020b3e6d0462", "user1", "item1 item2", "last_price time", SESSION),
      f"50000020b3e6d0462|GSC|S|user1|S|item1 item2|S|last_price time|S|{SESSION}"),
    v("a2_gsc_reply", V1_9_1, REMOTE, GetSchemaReply("50000020b3e6d0462", ("last_price", "time")),
      "50000020b3e6d0462|GSC|S|last_price|S|time"),
    v("a2_gis_reply", V1_9_1, REMOTE, GetItemsReply("40000020b3e6d0462", ("item1", "item2")),
      "40000020b3e6d0462|GIS|S|item1|S|item2"),
    v("a2_git", V1_9_1, PROXY, GetItemDataRequest("60000020b3e6d0462", ("item1", "item2")),
      "60000020b3e6d0462|GIT|S|item1|S|item2"),
    v("a2_git_reply", V1_9_1, REMOTE,
      GetItemDataReply("60000020b3e6d0462", (ItemData(0, 0.0, tuple(Mode)),) * 2),
      "60000020b3e6d0462|GIT|I|0|D|0.0|M|RMDC|I|0|D|0.0|M|RMDC"),
    v("a2_gui", V1_9_1, PROXY,
      GetUserItemDataRequest("70000020b3e6d0462", "user1", ("item1", "item2")),
      "70000020b3e6d0462|GUI|S|user1|S|item1|S|item2"),
    v("a2_gui_reply", V1_9_1, REMOTE,
      GetUserItemDataReply("70000020b3e6d0462", (ItemData(0, 0.0, tuple(Mode)),) * 2),
      "70000020b3e6d0462|GUI|I|0|D|0.0|M|RMDC|I|0|D|0.0|M|RMDC"),
    v("a2_nnt", V1_9_1, PROXY,
      NotifyNewTablesRequest("80000020b3e6d0462", "user1", SESSION, (A2_TABLE,)),
      f"80000020b3e6d0462|NNT|S|user1|S|{SESSION}|I|1|M|M|S|item1 item2|S|QUOTE_ADAPTER"
      "|S|last_price time|I|1|I|2|S|#|I|2|S|item1|S|item2"),
    v("a2_nnt_reply", V1_9_1, REMOTE, NotifyNewTablesReply("80000020b3e6d0462", (True, False)),
      "80000020b3e6d0462|NNT|B|1|B|0"),
    v("a2_fus", V1_9_1, REMOTE, ForceUnsubscription("64", SESSION, 1), f"64|FUS|S|{SESSION}|I|1"),
    v("a2_fus_reply", V1_9_1, PROXY, ForceUnsubscriptionReply("64", True), "64|FUS|B|1"),
    v("a2_ntc", V1_9_1, PROXY,
      NotifyTablesCloseRequest("90000020b3e6d0462", SESSION, (A2_TABLE,)),
      f"90000020b3e6d0462|NTC|S|{SESSION}|I|1|M|M|S|item1 item2|S|QUOTE_ADAPTER"
      "|S|last_price time|I|1|I|2|S|#|I|2|S|item1|S|item2|I|0"),
    v("a2_ntc_reply", V1_9_1, REMOTE, VoidReply("90000020b3e6d0462", M.NTC),
      "90000020b3e6d0462|NTC|V"),
    v("a2_num", V1_9_1, PROXY,
      NotifyUserMessageRequest("a0000020b3e6d0462", "user1", SESSION, "CHAT|hello"),
      f"a0000020b3e6d0462|NUM|S|user1|S|{SESSION}|S|CHAT%7Chello"),
    v("a2_num_reply", V1_9_1, REMOTE, VoidReply("a0000020b3e6d0462", M.NUM),
      "a0000020b3e6d0462|NUM|V"),
    v("a2_fst", V1_9_1, REMOTE, ForceSessionTermination("65", SESSION, -5, "Account suspended"),
      f"65|FST|S|{SESSION}|I|-5|S|Account suspended"),
    v("a2_fst_reply", V1_9_1, PROXY, ForceSessionTerminationReply("65"), "65|FST|V"),
    v("a2_nsc", V1_9_1, PROXY, NotifySessionCloseRequest("b0000020b3e6d0462", SESSION),
      f"b0000020b3e6d0462|NSC|S|{SESSION}"),
    v("a2_nsc_reply", V1_9_1, REMOTE, VoidReply("b0000020b3e6d0462", M.NSC),
      "b0000020b3e6d0462|NSC|V"),
    v("a2_metadata_failure", V1_9_1, REMOTE, MetadataFailure("Entitlement service unreachable"),
      "2|FAL|E|Entitlement service unreachable"),
    # ---------------------------------------------------------------- A.3
    v("a3_rac", LATEST, REMOTE, RemoteCredentials.create("my_user", "wrong_password"),
      "1|RAC|S|user|S|my_user|S|password|S|wrong_password|S|enableClosePacket|S|true"
      "|S|SDK|S|Python+Adapter+SDK"),
    v("a3_close", LATEST, PROXY, CloseNotice({"reason": "wrong credentials"}),
      "0|CLOSE|S|reason|S|wrong+credentials"),
    v("a3_close_raw_space", LATEST, PROXY, CloseNotice({"reason": "wrong credentials"}),
      "0|CLOSE|S|reason|S|wrong credentials",
      "the Node test's raw space; a BC encoder writes '+'"),
    # ---------------------------------------------------------------- A.4 (ARI 1.8.3)
    v("a4_rac", V1_8_3, REMOTE, RemoteCredentials.create(),
      "1|RAC|S|enableClosePacket|S|true|S|SDK|S|Python+Adapter+SDK"),
    v("a4_mpi", V1_8_3, PROXY,
      MetadataInitRequest("10000010c3e4d0462",
                          {"ARI.version": "1.8.3", "adapters_conf.id": "DEMO"}),
      "10000010c3e4d0462|MPI|S|ARI.version|S|1.8.3|S|adapters_conf.id|S|DEMO"),
    v("a4_mpi_reply", V1_8_3, REMOTE,
      InitReply("10000010c3e4d0462", M.MPI, {"ARI.version": "1.8.3"}),
      "10000010c3e4d0462|MPI|S|ARI.version|S|1.8.3"),
    v("a4_gis", V1_8_3, PROXY,
      GetItemsRequest("20000010c3e4d0462", "user1", "item1 item2", SESSION),
      f"20000010c3e4d0462|GIS|S|user1|S|item1+item2|S|{SESSION}"),
    v("a4_gis_reply", V1_8_3, REMOTE, GetItemsReply("20000010c3e4d0462", ("item1", "item2")),
      "20000010c3e4d0462|GIS|S|item1|S|item2"),
    v("a4_nnt", V1_8_3, PROXY,
      NotifyNewTablesRequest("30000010c3e4d0462", "user1", SESSION, (
          TableInfo(1, Mode.MERGE, "item1 item2", "last_price time", 1, 2, "#"),)),
      f"30000010c3e4d0462|NNT|S|user1|S|{SESSION}|I|1|M|M|S|item1+item2|S|last_price+time"
      "|I|1|I|2|S|%23"),
    v("a4_nnt_reply", V1_8_3, REMOTE, NotifyNewTablesReply("30000010c3e4d0462"),
      "30000010c3e4d0462|NNT|V"),
    # ---------------------------------------------------------------- A.5
    v("a5_rac", LATEST, REMOTE, RemoteCredentials.create(),
      "1|RAC|S|enableClosePacket|S|true|S|SDK|S|Python+Adapter+SDK"),
    v("a5_dpi", LATEST, PROXY, DataInitRequest("ID0", {"ARI.version": "1.9.0"}),
      "ID0|DPI|S|ARI.version|S|1.9.0"),
    v("a5_dpi_refused", LATEST, REMOTE,
      ErrorReply("ID0", M.DPI, err(K.DATA, "Unsupported Proxy Adapter version")),
      "ID0|DPI|ED|Unsupported+Proxy+Adapter+version"),
    # ---------------------------------------------------------------- A.6 (tutorial)
    v("a6_rac_auth", V1_9_0, REMOTE, RemoteCredentials({"user": "user1", "password": "pwd1"}),
      "1|RAC|S|user|S|user1|S|password|S|pwd1"),
]  # fmt: skip

# --------------------------------------------------------------------------------------
# Lines that must be refused (§6.9; items 11, 12, 31, 90).

_NNT19 = f"X|NNT|S|u|S|{SESSION}"
_TABLE19 = "I|1|M|M|S|g|S|DA|S|sc|I|1|I|2|S|#"

BAD_LINES: list[BadLine] = [
    # A.1's negative example: a raw "|" in a value gives SUB an extra token.
    BadLine("a1_negative", V1_9_1, PROXY, "30000010c3e4d0462|SUB|S|news|item",
            RemoteProtocolError, "30000010c3e4d0462", "SUB"),
    # Fewer than two tokens (item 11).
    BadLine("one_token", V1_9_1, PROXY, "garbage", RemoteProtocolError, None, None),
    BadLine("empty_line", V1_9_1, PROXY, "", RemoteProtocolError, None, None),
    BadLine("one_token_remote", V1_9_1, REMOTE, "KEEPALIVE2", RemoteProtocolError, None, None),
    # Empty tokens (§2.1).
    BadLine("empty_value_token", V1_9_1, PROXY, "X|SUB||item", RemoteProtocolError, "X", "SUB"),
    BadLine("trailing_separator", V1_9_1, PROXY, "X|SUB|S|item|", RemoteProtocolError, "X",
            "SUB"),
    BadLine("empty_id", V1_9_1, PROXY, "|SUB|S|item", RemoteProtocolError, None, "SUB"),
    BadLine("empty_method", V1_9_1, PROXY, "X||S|item", RemoteProtocolError, "X", None),
    BadLine("empty_token_remote", V1_9_1, REMOTE, "X|SUB|V|", RemoteProtocolError, "X", "SUB"),
    # Wrong or unknown type letters (§3.1).
    BadLine("wrong_type_sub", V1_9_1, PROXY, "X|SUB|I|item", RemoteProtocolError, "X", "SUB"),
    BadLine("unknown_type_sub", V1_9_1, PROXY, "X|SUB|Q|item", RemoteProtocolError, "X", "SUB"),
    BadLine("wrong_type_header", V1_9_1, PROXY, "X|NUS|S|u|S|p|D|h|S|v", RemoteProtocolError,
            "X", "NUS"),
    BadLine("wrong_type_win_index", V1_9_1, PROXY, f"{_NNT19}|S|1|M|M|S|g|S|DA|S|sc|I|1|I|2|S|#"
            "|I|0", RemoteProtocolError, "X", "NNT"),
    BadLine("wrong_type_git_reply", V1_9_1, REMOTE, "X|GIT|I|1|I|2|M|R", RemoteProtocolError,
            "X", "GIT"),
    BadLine("wrong_type_dfd", V1_9_1, REMOTE, f"{TS}|DFD|S|i|S|s|S|f|S|J", RemoteProtocolError,
            TS, "DFD"),
    BadLine("lowercase_type", V1_9_1, PROXY, "X|SUB|s|item", RemoteProtocolError, "X", "SUB"),
    # Bad escapes (item 31).
    BadLine("escape_zz", V1_9_1, PROXY, "X|SUB|S|a%ZZ", RemoteProtocolError, "X", "SUB"),
    BadLine("escape_percent", V1_9_1, PROXY, "X|SUB|S|%", RemoteProtocolError, "X", "SUB"),
    BadLine("escape_short", V1_9_1, PROXY, "X|SUB|S|%4", RemoteProtocolError, "X", "SUB"),
    BadLine("escape_truncated_utf8", V1_9_1, PROXY, "X|SUB|S|%C3", RemoteProtocolError, "X",
            "SUB"),
    BadLine("escape_invalid_utf8", V1_8_3, PROXY, "X|SUB|S|%FF", RemoteProtocolError, "X",
            "SUB"),
    BadLine("escape_bc_init", V1_9_1, PROXY, "X|DPI|S|ARI.version|S|1.9.1|S|k|S|%E2%82",
            RemoteProtocolError, "X", "DPI"),
    BadLine("escape_close", V1_9_1, PROXY, "0|CLOSE|S|reason|S|%G0", RemoteProtocolError, "0",
            "CLOSE"),
    BadLine("escape_remote", V1_9_1, REMOTE, f"{TS}|UD3|S|i|S|s|B|0|S|f|S|50%",
            RemoteProtocolError, TS, "UD3"),
    BadLine("raw_bytes_not_utf8", V1_9_1, PROXY, b"X|SUB|S|caf\xe9", RemoteProtocolError, "X",
            "SUB"),
    # Bad numbers (§3.5).
    BadLine("int_letters", V1_9_1, PROXY, f"{_NNT19}|I|1x|M|M|S|g|S|DA|S|sc|I|1|I|2|S|#|I|0",
            RemoteProtocolError, "X", "NNT"),
    BadLine("int_plus", V1_9_1, PROXY, f"{_NNT19}|I|+1|M|M|S|g|S|DA|S|sc|I|1|I|2|S|#|I|0",
            RemoteProtocolError, "X", "NNT"),
    BadLine("int_overflow", V1_8_3, PROXY, f"{_NNT19}|I|2147483648|M|M|S|g|S|sc|I|1|I|2|S|#",
            RemoteProtocolError, "X", "NNT"),
    BadLine("int_space", V1_9_1, REMOTE, "X|NNS|I| 1", RemoteProtocolError, "X", "NNS"),
    BadLine("long_decimal", V1_9_1, PROXY, f"X|NTC|S|s|{_TABLE19}|I|1|S|i|I|1|L|1.5|L|0|L|0",
            RemoteProtocolError, "X", "NTC"),
    BadLine("negative_item_count", V1_9_1, PROXY, f"{_NNT19}|{_TABLE19}|I|-1",
            RemoteProtocolError, "X", "NNT"),
    BadLine("bool_two", V1_9_1, REMOTE, f"{TS}|UD3|S|i|S|s|B|2", RemoteProtocolError, TS, "UD3"),
    BadLine("bool_word", V1_9_1, PROXY, "66|FUS|B|yes", RemoteProtocolError, "66", "FUS"),
    BadLine("double_nan", V1_9_1, REMOTE, "X|NUS|D|NaN|B|1", RemoteProtocolError, "X", "NUS"),
    BadLine("double_comma", V1_9_1, REMOTE, "X|NUS|D|1,5|B|1", RemoteProtocolError, "X", "NUS"),
    BadLine("client_code_not_int", V1_9_1, REMOTE, "X|NUS|EC|m|x|cm", RemoteProtocolError, "X",
            "NUS"),
    # Bad modes, diff algorithms, bytes.
    BadLine("mode_unknown", V1_9_1, PROXY, f"{_NNT19}|I|1|M|Q|S|g|S|DA|S|sc|I|1|I|2|S|#|I|0",
            RemoteProtocolError, "X", "NNT"),
    BadLine("modes_null", V1_9_1, REMOTE, "X|GIT|I|1|D|0.0|M|#", RemoteProtocolError, "X",
            "GIT"),
    BadLine("diff_unknown", V1_9_1, REMOTE, f"{TS}|DFD|S|i|S|s|S|f|F|X", RemoteProtocolError,
            TS, "DFD"),
    BadLine("base64_bad", V1_8_3, REMOTE, f"{TS}|UD3|S|i|S|s|B|0|S|f|Y|MC4", RemoteProtocolError,
            TS, "UD3"),
    # Null where a value is required.
    BadLine("null_item", V1_9_1, PROXY, "X|SUB|S|#", RemoteProtocolError, "X", "SUB"),
    BadLine("null_param_name", V1_9_1, PROXY, "X|DPI|S|#|S|v", RemoteProtocolError, "X", "DPI"),
    BadLine("null_fst_session", V1_9_1, REMOTE, "64|FST|S|#|V", RemoteProtocolError, "64", "FST"),
    # CLOSE with an id other than 0 (item 90).
    BadLine("close_id_1", V1_9_1, PROXY, "1|CLOSE|S|reason|S|x", RemoteProtocolError, "1",
            "CLOSE"),
    BadLine("close_odd_pairs", V1_9_1, PROXY, "0|CLOSE|S|reason", RemoteProtocolError, "0",
            "CLOSE"),
    # Truncated lines and extra tokens.
    BadLine("sub_no_args", V1_9_1, PROXY, "X|SUB", RemoteProtocolError, "X", "SUB"),
    BadLine("sub_no_value", V1_9_1, PROXY, "X|SUB|S", RemoteProtocolError, "X", "SUB"),
    BadLine("gis_truncated", V1_9_1, PROXY, "X|GIS|S|u|S|g", RemoteProtocolError, "X", "GIS"),
    BadLine("gis_extra", V1_9_1, PROXY, "X|GIS|S|u|S|g|S|s|S|x", RemoteProtocolError, "X",
            "GIS"),
    BadLine("nsc_extra", V1_9_1, PROXY, "X|NSC|S|s|S|x", RemoteProtocolError, "X", "NSC"),
    BadLine("nnt_truncated_table", V1_9_1, PROXY, f"{_NNT19}|I|1|M|M", RemoteProtocolError, "X",
            "NNT"),
    BadLine("nnt_missing_items", V1_9_1, PROXY, f"{_NNT19}|{_TABLE19}|I|3|S|i1|S|i2",
            RemoteProtocolError, "X", "NNT"),
    BadLine("nnt_18_block_in_19", V1_9_1, PROXY, f"{_NNT19}|I|1|M|M|S|g|S|sc|I|1|I|2|S|#",
            RemoteProtocolError, "X", "NNT"),
    BadLine("ntc_missing_statistics", V1_9_1, PROXY, f"X|NTC|S|s|{_TABLE19}|I|1|S|i|I|1|L|1",
            RemoteProtocolError, "X", "NTC"),
    BadLine("msa_truncated", V1_9_1, PROXY, "X|MSA|S|u|S|s|I|1|M|M|S|g|S|DA|S|sc|I|1|I|2|I|0"
            "|P|A|S|app|S|token|S|trigger", RemoteProtocolError, "X", "MSA"),
    BadLine("mda_missing_platform", V1_9_1, PROXY, "X|MDA|S|u|S|s|S|app|S|token",
            RemoteProtocolError, "X", "MDA"),
    BadLine("nus_odd_headers", V1_9_1, PROXY, "X|NUS|S|u|S|p|S|h", RemoteProtocolError, "X",
            "NUS"),
    BadLine("dpi_odd_params", V1_9_1, PROXY, "X|DPI|S|ARI.version", RemoteProtocolError, "X",
            "DPI"),
    BadLine("init_reply_empty", V1_9_1, REMOTE, "X|DPI", RemoteProtocolError, "X", "DPI"),
    BadLine("init_reply_type", V1_9_1, REMOTE, "X|MPI|I|1", RemoteProtocolError, "X", "MPI"),
    BadLine("void_extra", V1_9_1, REMOTE, "X|SUB|V|V", RemoteProtocolError, "X", "SUB"),
    BadLine("ec_missing_extras", V1_9_1, REMOTE, "X|NUS|EC|msg|-1", RemoteProtocolError, "X",
            "NUS"),
    BadLine("eos_extra", V1_9_1, REMOTE, f"{TS}|EOS|S|i|S|s|S|x", RemoteProtocolError, TS, "EOS"),
    BadLine("fal_subtype", V1_9_1, REMOTE, f"{TS}|FAL|ED|x", RemoteProtocolError, TS, "FAL"),
    BadLine("rac_id_2", V1_9_1, REMOTE, "2|RAC|S|a|S|b", RemoteProtocolError, "2", "RAC"),
    # Error subtypes (§3.10).
    BadLine("subtype_not_allowed", V1_9_1, REMOTE, "X|SUB|EI|msg", RemoteProtocolError, "X",
            "SUB"),
    BadLine("subtype_unknown", V1_9_1, REMOTE, "X|SUB|EZ|msg", RemoteProtocolError, "X", "SUB"),
    BadLine("subtype_er_18", V1_8_3, REMOTE, "X|NUS|ER|busy", RemoteProtocolError, "X", "NUS"),
    # Packets that do not exist in ARI 1.8 (§4.4).
    BadLine("nns_ttl_18", V1_8_3, REMOTE, "X|NNS|I|3600", RemoteProtocolError, "X", "NNS"),
    BadLine("nnt_flags_18", V1_8_3, REMOTE, "X|NNT|B|1|B|0", RemoteProtocolError, "X", "NNT"),
    BadLine("dfd_18", V1_8_3, REMOTE, f"{TS}|DFD|S|i|S|s|S|f|F|J", RemoteProtocolError, TS,
            "DFD"),
    BadLine("metadata_fal_18", V1_8_3, REMOTE, "2|FAL|E|x", RemoteProtocolError, "2", "FAL"),
    BadLine("fst_18", V1_8_3, REMOTE, "64|FST|S|s|V", RemoteProtocolError, "64", "FST"),
    BadLine("fst_reply_18", V1_8_3, PROXY, "64|FST|V", RemoteProtocolError, "64", "FST"),
    BadLine("bytes_in_19", V1_9_1, REMOTE, f"{TS}|UD3|S|i|S|s|B|0|S|f|Y|MC40NA==",
            RemoteProtocolError, TS, "UD3"),
    # Unknown methods (item 12).
    BadLine("unknown_method", V1_9_1, PROXY, "X|FOO|S|a", UnknownMethodError, "X", "FOO"),
    BadLine("lowercase_method", V1_9_1, PROXY, "X|sub|S|a", UnknownMethodError, "X", "sub"),
    BadLine("remote_method_from_proxy", V1_9_1, PROXY, f"{TS}|UD3|S|i|S|s|B|0",
            UnknownMethodError, TS, "UD3"),
    BadLine("rac_from_proxy", V1_9_1, PROXY, "1|RAC|S|a|S|b", UnknownMethodError, "1", "RAC"),
    BadLine("close_from_remote", V1_9_1, REMOTE, "0|CLOSE|S|reason|S|x", UnknownMethodError, "0",
            "CLOSE"),
]  # fmt: skip
