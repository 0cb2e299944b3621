"""Exact vectors for the token codec (ARI-PROTOCOL.md §3, Appendix B, §10 items 27-33)."""

from __future__ import annotations

import math
from enum import IntEnum

import pytest

from lightstreamer_adapter.interfaces.data import DiffAlgorithm
from lightstreamer_adapter.interfaces.metadata import Mode, MpnPlatformType
from lightstreamer_adapter.protocol.errors import LocalProtocolError, RemoteProtocolError
from lightstreamer_adapter.protocol.fields import (
    EMPTY,
    NULL,
    bytes_as_string,
    decode_bool,
    decode_bytes_base64,
    decode_diff_algorithms,
    decode_double,
    decode_int,
    decode_long,
    decode_mode,
    decode_modes,
    decode_platform,
    decode_string_bc,
    decode_string_smart,
    encode_bool,
    encode_bytes_base64,
    encode_diff_algorithms,
    encode_double,
    encode_int,
    encode_long,
    encode_mode,
    encode_modes,
    encode_platform,
    encode_string_bc,
    encode_string_smart,
    string_codec,
)
from lightstreamer_adapter.protocol.versions import V1_8_0, V1_8_2, V1_8_3, V1_9_0, V1_9_1

# ---------------------------------------------------------------------------------------
# Appendix B: encoders. (input, BC, Smart) — §10 items 27, 28, 29, 32.
# ---------------------------------------------------------------------------------------
ENCODER_VECTORS: list[tuple[str | None, str, str]] = [
    (None, "#", "#"),
    ("", "$", "$"),
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
]


@pytest.mark.parametrize(("value", "bc", "smart"), ENCODER_VECTORS)
def test_appendix_b_encoders(value: str | None, bc: str, smart: str) -> None:
    # §10 items 27-29, 32
    assert encode_string_bc(value) == bc
    assert encode_string_smart(value) == smart


@pytest.mark.parametrize(("value", "bc", "smart"), ENCODER_VECTORS)
def test_appendix_b_encoder_vectors_round_trip(value: str | None, bc: str, smart: str) -> None:
    # §10 item 32
    assert decode_string_bc(bc) == value
    assert decode_string_smart(smart) == value


def test_appendix_b_smart_non_ascii_bytes() -> None:
    assert encode_string_smart("é").encode("utf-8") == b"\xc3\xa9"
    assert encode_string_smart("value\U0002996a").encode("utf-8") == b"value\xf0\xa9\xa5\xaa"


# ---------------------------------------------------------------------------------------
# Appendix B: decoders. (token, BC result, Smart result); an exception class = error.
# ---------------------------------------------------------------------------------------
Expected = str | None | type[Exception]
DECODER_VECTORS: list[tuple[str, Expected, Expected]] = [
    ("#", None, None),
    ("$", "", ""),
    ("%23", "#", "#"),
    ("V1+%F0%A9%A5%AA", "V1 \U0002996a", "V1+\U0002996a"),
    ("P1+%0D", "P1 \r", "P1+\r"),
    ("header %0D", "header \r", "header \r"),
    ("caf%c3%a9", "café", "café"),
    ("caf%C3%A9", "café", "café"),
    ("a%20b", "a b", "a b"),
    ("€%20%E2%82%AC", "€ €", "€ €"),
    ("%", RemoteProtocolError, RemoteProtocolError),
    ("%4", RemoteProtocolError, RemoteProtocolError),
    ("%ZZ", RemoteProtocolError, RemoteProtocolError),
    ("%C3", RemoteProtocolError, RemoteProtocolError),
    ("%FF", RemoteProtocolError, RemoteProtocolError),
]


def _check_decode(decode: object, token: str, expected: Expected) -> None:
    assert callable(decode)
    if isinstance(expected, type):
        with pytest.raises(expected):
            decode(token)
    else:
        assert decode(token) == expected


@pytest.mark.parametrize(("token", "bc", "smart"), DECODER_VECTORS)
def test_appendix_b_decoders(token: str, bc: Expected, smart: Expected) -> None:
    # §10 items 30, 31, 32
    _check_decode(decode_string_bc, token, bc)
    _check_decode(decode_string_smart, token, smart)


# ---------------------------------------------------------------------------------------
# §3.3 examples and checklist details
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "token"),
    [
        ("Python Adapter SDK", "Python+Adapter+SDK"),  # §10 item 3
        ("a|b", "a%7Cb"),
        ("€", "%E2%82%AC"),
        ("s3cr&t", "s3cr%26t"),  # Appendix A.2
        ("extra $", "extra+%24"),  # §3.4, Node RAC test
        ("Unsupported Proxy Adapter version", "Unsupported+Proxy+Adapter+version"),
        ("Incompatible Proxy Adapter for protocol version: 1.9.0",
         "Incompatible+Proxy+Adapter+for+protocol+version%3A+1.9.0"),
        ("AZaz09.-*_", "AZaz09.-*_"),
        ("\x00\x7f", "%00%7F"),
    ],
)
def test_bc_examples(value: str, token: str) -> None:
    assert encode_string_bc(value) == token
    assert decode_string_bc(token) == value


@pytest.mark.parametrize(
    ("value", "token"),
    [
        ("An Item Name", "An Item Name"),
        ("field_|", "field_%7C"),
        ("#", "%23"),
        ("#x", "#x"),
        ("50%+1", "50%25%2B1"),
        ("value€", "value€"),
        ("Rates up 0.25% → markets react", "Rates up 0.25%25 → markets react"),  # A.1
        ("news|item", "news%7Citem"),  # A.1
        ("$$", "$$"),
        ("##", "##"),
        ("\r", "%0D"),
        ("\n", "%0A"),
        ("|", "%7C"),
        ("%", "%25"),
        ("+", "%2B"),
        ("a", "a"),
        (" ", " "),
    ],
)
def test_smart_examples(value: str, token: str) -> None:
    assert encode_string_smart(value) == token
    assert decode_string_smart(token) == value


def test_smart_escapes_exactly_five_characters() -> None:
    # §10 item 28: every ASCII character other than CR LF | % + is written raw.
    escaped = {"\r": "%0D", "\n": "%0A", "|": "%7C", "%": "%25", "+": "%2B"}
    for code in range(128):
        char = chr(code)
        expected = escaped.get(char, char)
        assert encode_string_smart("x" + char) == "x" + expected, repr(char)
    for char in "é€\U0002996a\u00a0\u2028 \t&=\"'#$~":
        assert encode_string_smart(char + "x") == char + "x"


def test_bc_escapes_everything_but_the_java_safe_set() -> None:
    # §10 item 29
    safe = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-*_")
    for code in range(128):
        char = chr(code)
        if char in safe:
            expected = char
        elif char == " ":
            expected = "+"
        else:
            expected = f"%{code:02X}"
        assert encode_string_bc("x" + char) == "x" + expected, repr(char)
    assert encode_string_bc("ÿ") == "%C3%BF"  # upper-case hex


def test_bc_encoder_rejects_lone_surrogate() -> None:
    with pytest.raises(LocalProtocolError):
        encode_string_bc("a\ud800")


@pytest.mark.parametrize(
    ("token", "value"),
    [
        ("%e2%82%ac", "€"),  # §10 item 30: lower-case hex
        ("%E2%82%Ac", "€"),  # mixed case
        ("%E2%82\u00ac", None),  # raw U+00AC is bytes C2 AC: invalid after E2 82
        ("a%7cb", "a|b"),
        ("%41%42", "AB"),  # escapes of bytes that need none
        ("%2b", "+"),
        ("%25", "%"),
        ("%2523", "%23"),  # decoded once only
    ],
)
def test_decoders_accept_any_escape(token: str, value: str | None) -> None:
    for decode in (decode_string_bc, decode_string_smart):
        if value is None:
            with pytest.raises(RemoteProtocolError):
                decode(token)
        else:
            assert decode(token) == value


def test_multibyte_escapes_mixed_with_raw_characters() -> None:
    # §10 item 30: a character may be escaped byte by byte, next to raw non-ASCII text;
    # the decoders collect bytes before decoding UTF-8.
    assert decode_string_smart("%E2%82%ACé%C3%A9") == "€éé"
    assert decode_string_bc("%F0%9F%98%80+é") == "\U0001f600 é"
    assert decode_string_smart("€%20%E2%82%AC€") == "€ €€"


@pytest.mark.parametrize(
    "token",
    ["%", "%4", "%ZZ", "%G0", "%0G", "a%", "a%4", "%C3", "%FF", "%C3%28", "%ED%A0%80",
     "% 4", "%+4", "%-1", "%\u0664\u0665", "ok%2"],
)
def test_decoders_reject_malformed(token: str) -> None:
    # §10 item 31
    for decode in (decode_string_bc, decode_string_smart):
        with pytest.raises(RemoteProtocolError):
            decode(token)


def test_decoders_reject_lone_surrogate_next_to_escape() -> None:
    for decode in (decode_string_bc, decode_string_smart):
        with pytest.raises(RemoteProtocolError):
            decode("\ud800%41")


def test_bc_plus_and_raw_space() -> None:
    assert decode_string_bc("+") == " "
    assert decode_string_bc("a b") == "a b"  # A.3: a raw space is tolerated
    assert decode_string_bc("wrong credentials") == "wrong credentials"
    assert decode_string_smart("+") == "+"  # §3.3.2: raw + stays +


def test_decoders_never_strip_spaces() -> None:
    # §10 item 7
    assert decode_string_smart("  a  ") == "  a  "
    assert decode_string_bc("++a++") == "  a  "
    assert decode_string_smart(" %41 ") == " A "


@pytest.mark.parametrize(
    ("version", "smart"),
    [(V1_8_0, False), (V1_8_2, False), (V1_8_3, False), (V1_9_0, True), (V1_9_1, True)],
)
def test_string_codec(version: object, smart: bool) -> None:
    from lightstreamer_adapter.protocol.versions import ProtocolVersion

    assert isinstance(version, ProtocolVersion)
    encode, decode = string_codec(version)
    if smart:
        assert (encode, decode) == (encode_string_smart, decode_string_smart)
    else:
        assert (encode, decode) == (encode_string_bc, decode_string_bc)


def test_constants() -> None:
    assert NULL == "#"
    assert EMPTY == "$"


def test_bytes_as_string() -> None:
    # §3.9, §10 item 48
    assert bytes_as_string(b"0.44") == "0.44"
    assert bytes_as_string(bytes(range(256))) == "".join(map(chr, range(256)))
    assert encode_string_smart(bytes_as_string(b"\xe2|")) == "\u00e2%7C"


# ---------------------------------------------------------------------------------------
# Appendix B numbers and §3.5 — §10 item 33
# ---------------------------------------------------------------------------------------
def test_booleans() -> None:
    assert encode_bool(True) == "1"
    assert encode_bool(False) == "0"
    assert decode_bool("1") is True
    assert decode_bool("0") is False


@pytest.mark.parametrize("token", ["", "2", "true", "false", "01", " 1", "1 ", "#", "$", "-0"])
def test_bool_malformed(token: str) -> None:
    with pytest.raises(RemoteProtocolError):
        decode_bool(token)


@pytest.mark.parametrize(
    ("value", "token"),
    [(0, "0"), (-1, "-1"), (42, "42"), (2**31 - 1, "2147483647"), (-(2**31), "-2147483648")],
)
def test_int_vectors(value: int, token: str) -> None:
    assert encode_int(value) == token
    assert decode_int(token) == value


def test_int_decode_leading_zeros_and_negative_zero() -> None:
    assert decode_int("007") == 7
    assert decode_int("-0") == 0


@pytest.mark.parametrize(
    "token",
    ["", "-", "+1", " 1", "1 ", "1.0", "1e3", "0x10", "2147483648", "-2147483649",
     "\u0661", "1_000", "\uff11", "9" * 5000, "--1", "abc"],
)
def test_int_malformed(token: str) -> None:
    with pytest.raises(RemoteProtocolError):
        decode_int(token)


class _Small(IntEnum):
    SEVEN = 7


@pytest.mark.parametrize(
    "value", [2**31, -(2**31) - 1, True, False, 1.0, "1", None],
)
def test_int_encode_rejects(value: object) -> None:
    with pytest.raises(LocalProtocolError):
        encode_int(value)  # type: ignore[arg-type]


def test_int_encode_accepts_int_subclass() -> None:
    assert encode_int(_Small.SEVEN) == "7"
    assert encode_long(_Small.SEVEN) == "7"


@pytest.mark.parametrize(
    ("value", "token"),
    [(0, "0"), (-1, "-1"), (2**63 - 1, "9223372036854775807"),
     (-(2**63), "-9223372036854775808"), (2**31, "2147483648")],
)
def test_long_vectors(value: int, token: str) -> None:
    assert encode_long(value) == token
    assert decode_long(token) == value


@pytest.mark.parametrize("token", ["9223372036854775808", "-9223372036854775809", "+5", "", "1.5"])
def test_long_malformed(token: str) -> None:
    with pytest.raises(RemoteProtocolError):
        decode_long(token)


@pytest.mark.parametrize("value", [2**63, -(2**63) - 1, True, 3.0])
def test_long_encode_rejects(value: object) -> None:
    with pytest.raises(LocalProtocolError):
        encode_long(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "token"),
    [(0.0, "0.0"), (12.3, "12.3"), (1e16, "1e+16"), (-0.5, "-0.5"), (0, "0.0"), (3, "3.0"),
     (1e-7, "1e-07"), (-0.0, "-0.0")],
)
def test_double_encode(value: float, token: str) -> None:
    # Appendix B numbers; §10 item 33
    assert encode_double(value) == token


@pytest.mark.parametrize(
    "value", [math.nan, math.inf, -math.inf, 10**400, True, "1.0", None],
)
def test_double_encode_rejects(value: object) -> None:
    # §10 item 33: never nan/inf
    with pytest.raises(LocalProtocolError):
        encode_double(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("token", "value"),
    [("12.3", 12.3), ("0", 0.0), ("0.0", 0.0), ("1.0E10", 1e10), ("1e+16", 1e16),
     ("-0.5", -0.5), ("3", 3.0), (".5", 0.5), ("5.", 5.0), ("1E-3", 0.001), ("+2.5", 2.5),
     ("1.7976931348623157E308", 1.7976931348623157e308)],
)
def test_double_decode(token: str, value: float) -> None:
    assert decode_double(token) == value


@pytest.mark.parametrize(
    "token",
    ["", "NaN", "nan", "Infinity", "-Infinity", "inf", "1_0", "1.0_1", " 1", "1 ", "abc",
     ".", "e5", "1e", "1e+", "0x1p3", "1.0d", "1e400", "-1e999", "\u0661", "1..0", "--1"],
)
def test_double_malformed(token: str) -> None:
    with pytest.raises(RemoteProtocolError):
        decode_double(token)


# ---------------------------------------------------------------------------------------
# Modes (§3.6), diff algorithms (§3.7), platforms (§3.8), byte arrays (§3.9)
# ---------------------------------------------------------------------------------------
R, M, D, C = Mode.RAW, Mode.MERGE, Mode.DISTINCT, Mode.COMMAND


@pytest.mark.parametrize(
    ("modes", "token"),
    [
        (None, "#"),
        ([], "$"),
        ([R, M, D, C], "RMDC"),  # §10 item 62
        ([C, D, M, R], "RMDC"),
        ([D, M], "MD"),
        ({M}, "M"),
        ([C, C, R], "RC"),
        (iter([D]), "D"),
    ],
)
def test_encode_modes(modes: object, token: str) -> None:
    assert encode_modes(modes) == token  # type: ignore[arg-type]


def test_encode_modes_rejects_non_mode() -> None:
    with pytest.raises(LocalProtocolError):
        encode_modes(["R"])  # type: ignore[list-item]
    with pytest.raises(LocalProtocolError):
        encode_modes([Mode.RAW, ["unhashable"]])  # type: ignore[list-item]


@pytest.mark.parametrize(
    ("token", "modes"),
    [("#", None), ("$", ()), ("RMDC", (R, M, D, C)), ("MD", (M, D)), ("C", (C,)),
     ("DR", (D, R)), ("MM", (M,))],
)
def test_decode_modes(token: str, modes: tuple[Mode, ...] | None) -> None:
    assert decode_modes(token) == modes


@pytest.mark.parametrize("token", ["", "X", "r", "RX", "R M", "##", "R$"])
def test_decode_modes_malformed(token: str) -> None:
    with pytest.raises(RemoteProtocolError):
        decode_modes(token)


@pytest.mark.parametrize(
    ("token", "mode"),
    [("R", R), ("M", M), ("D", D), ("C", C), ("#", None), ("$", None)],
)
def test_decode_single_mode(token: str, mode: Mode | None) -> None:
    assert decode_mode(token) == mode


@pytest.mark.parametrize("token", ["", "RM", "X", "m", " M"])
def test_decode_single_mode_malformed(token: str) -> None:
    with pytest.raises(RemoteProtocolError):
        decode_mode(token)


def test_encode_single_mode() -> None:
    assert [encode_mode(mode) for mode in (R, M, D, C, None)] == ["R", "M", "D", "C", "#"]
    with pytest.raises(LocalProtocolError):
        encode_mode("M")  # type: ignore[arg-type]


J, DMP = DiffAlgorithm.JSONPATCH, DiffAlgorithm.DIFF_MATCH_PATCH


@pytest.mark.parametrize(
    ("algorithms", "token"),
    [(None, "#"), ([], "$"), ((), "$"), ([J], "J"), ([DMP], "M"), ([J, DMP], "JM"),
     ([DMP, J], "MJ")],
)
def test_diff_algorithms(algorithms: list[DiffAlgorithm] | None, token: str) -> None:
    # §10 item 51
    assert encode_diff_algorithms(algorithms) == token
    expected = None if algorithms is None else tuple(algorithms)
    assert decode_diff_algorithms(token) == expected


@pytest.mark.parametrize("token", ["", "X", "j", "J M", "JX", "#J"])
def test_diff_algorithms_malformed(token: str) -> None:
    with pytest.raises(RemoteProtocolError):
        decode_diff_algorithms(token)


def test_diff_algorithms_reject_non_member() -> None:
    with pytest.raises(LocalProtocolError):
        encode_diff_algorithms(["J"])  # type: ignore[list-item]


@pytest.mark.parametrize(
    ("token", "platform"),
    [("A", MpnPlatformType.APPLE), ("G", MpnPlatformType.GOOGLE), ("#", None),
     ("W", "W"), ("Web", "Web"), ("a", "a"), ("$", "$")],
)
def test_decode_platform(token: str, platform: MpnPlatformType | str | None) -> None:
    # §10 item 73: unknown platforms are kept as raw strings
    assert decode_platform(token) == platform


@pytest.mark.parametrize(
    ("platform", "token"),
    [(MpnPlatformType.APPLE, "A"), (MpnPlatformType.GOOGLE, "G"), (None, "#"),
     ("W", "W"), ("Web", "Web")],
)
def test_encode_platform(platform: MpnPlatformType | str | None, token: str) -> None:
    assert encode_platform(platform) == token


@pytest.mark.parametrize("platform", ["", "#", "a|b", "a\r", "a\n", 1])
def test_encode_platform_rejects(platform: object) -> None:
    with pytest.raises(LocalProtocolError):
        encode_platform(platform)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "token"),
    [(None, "#"), (b"", "$"), (b"0.44", "MC40NA=="), (b"\x00\xff", "AP8="), (b"abc", "YWJj")],
)
def test_base64(value: bytes | None, token: str) -> None:
    # §3.9: Python 1.3.1 sends Y|MC40NA== for b'0.44'; §10 item 48
    assert encode_bytes_base64(value) == token
    assert decode_bytes_base64(token) == value


@pytest.mark.parametrize("token", ["", "MC40NA", "MC40NA=", "MC4 0NA==", "MC40NA===", "é===", "*"])
def test_base64_malformed(token: str) -> None:
    with pytest.raises(RemoteProtocolError):
        decode_bytes_base64(token)
