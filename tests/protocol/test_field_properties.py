"""Property tests of the token codec and the line reader.

Round trips: ``decode(encode(x)) == x``. Fuzzing: any text given to a decoder yields a
value or :class:`RemoteProtocolError`, never anything else (the h11 rule).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lightstreamer_adapter.interfaces.data import DiffAlgorithm
from lightstreamer_adapter.interfaces.metadata import Mode, MpnPlatformType
from lightstreamer_adapter.protocol.errors import LocalProtocolError, RemoteProtocolError
from lightstreamer_adapter.protocol.fields import (
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
)
from lightstreamer_adapter.protocol.framing import LineBuffer, LineTooLongError

# No per-example deadline: a loaded CI machine must not turn slowness into failures. The
# number of examples comes from the active profile (Hypothesis' default: 100).
relaxed = settings(deadline=None)

# Surrogate-free text of any plane; the ASCII specials are made frequent on purpose.
any_text = st.text(
    alphabet=st.one_of(
        st.characters(exclude_categories=["Cs"]),
        st.sampled_from("#$%+| \r\n\t&=~*"),
    )
)
optional_text = st.none() | any_text
# Any text at all, lone surrogates included, for the fuzzing properties.
wild_text = st.text(alphabet=st.characters()) | st.text(
    alphabet="%#$+0123456789abcdefABCDEFGZ\u00e9\u20ac"
)

STRING_CODECS = [
    (encode_string_bc, decode_string_bc),
    (encode_string_smart, decode_string_smart),
]


@pytest.mark.parametrize(("encode", "decode"), STRING_CODECS, ids=["bc", "smart"])
@relaxed
@given(value=optional_text)
def test_string_round_trip(
    encode: Callable[[str | None], str], decode: Callable[[str], str | None], value: str | None
) -> None:
    token = encode(value)
    # §3.3.3: a token never carries a separator or a line break
    assert not any(c in token for c in "|\r\n")
    assert decode(token) == value


@relaxed
@given(value=any_text)
def test_bc_output_is_ascii_and_plus_free_of_spaces(value: str) -> None:
    token = encode_string_bc(value)
    assert token.isascii()
    assert " " not in token


@relaxed
@given(value=any_text)
def test_smart_output_has_no_raw_plus(value: str) -> None:
    # §3.3.2: a raw + must never be sent
    assert "+" not in encode_string_smart(value)


@relaxed
@given(value=st.integers(min_value=-(2**31), max_value=2**31 - 1))
def test_int_round_trip(value: int) -> None:
    assert decode_int(encode_int(value)) == value


@relaxed
@given(value=st.integers(min_value=-(2**63), max_value=2**63 - 1))
def test_long_round_trip(value: int) -> None:
    assert decode_long(encode_long(value)) == value


@relaxed
@given(value=st.floats(allow_nan=False, allow_infinity=False))
def test_double_round_trip(value: float) -> None:
    decoded = decode_double(encode_double(value))
    assert decoded == value
    assert math.copysign(1.0, decoded) == math.copysign(1.0, value)


@relaxed
@given(value=st.booleans())
def test_bool_round_trip(value: bool) -> None:
    assert decode_bool(encode_bool(value)) is value


@relaxed
@given(modes=st.none() | st.lists(st.sampled_from(Mode)))
def test_modes_round_trip(modes: list[Mode] | None) -> None:
    decoded = decode_modes(encode_modes(modes))
    if modes is None:
        assert decoded is None
    else:
        order = [Mode.RAW, Mode.MERGE, Mode.DISTINCT, Mode.COMMAND]
        assert decoded == tuple(mode for mode in order if mode in modes)


def _modes_outcome(modes: object) -> object:
    try:
        return encode_modes(modes)  # type: ignore[arg-type]
    except LocalProtocolError as err:
        return str(err)


@relaxed
@given(
    modes=st.lists(
        st.sampled_from(Mode) | st.sampled_from([*DiffAlgorithm, "R", "M", 1]), max_size=6
    )
)
def test_modes_tuple_fast_path_agrees(modes: list[object]) -> None:
    # encode_modes reads a tuple without hashing the modes; a list takes the general path.
    assert _modes_outcome(tuple(modes)) == _modes_outcome(modes)


@relaxed
@given(mode=st.none() | st.sampled_from(Mode))
def test_single_mode_round_trip(mode: Mode | None) -> None:
    assert decode_mode(encode_mode(mode)) == mode


@relaxed
@given(algorithms=st.none() | st.lists(st.sampled_from(DiffAlgorithm)))
def test_diff_algorithms_round_trip(algorithms: list[DiffAlgorithm] | None) -> None:
    decoded = decode_diff_algorithms(encode_diff_algorithms(algorithms))
    assert decoded == (None if algorithms is None else tuple(algorithms))


raw_platforms = st.text(min_size=1).filter(
    lambda s: s not in ("#", "A", "G") and not any(c in s for c in "|\r\n")
)


@relaxed
@given(platform=st.none() | st.sampled_from(MpnPlatformType) | raw_platforms)
def test_platform_round_trip(platform: MpnPlatformType | str | None) -> None:
    assert decode_platform(encode_platform(platform)) == platform


@relaxed
@given(value=st.none() | st.binary())
def test_base64_round_trip(value: bytes | None) -> None:
    assert decode_bytes_base64(encode_bytes_base64(value)) == value


@relaxed
@given(value=st.binary())
def test_bytes_as_string_is_latin1(value: bytes) -> None:
    text = bytes_as_string(value)
    assert len(text) == len(value)
    assert text.encode("iso-8859-1") == value
    assert decode_string_smart(encode_string_smart(text)) == text


DECODERS: list[Callable[[str], object]] = [
    decode_string_bc,
    decode_string_smart,
    decode_bool,
    decode_int,
    decode_long,
    decode_double,
    decode_modes,
    decode_mode,
    decode_diff_algorithms,
    decode_platform,
    decode_bytes_base64,
]


@pytest.mark.parametrize("decode", DECODERS, ids=lambda f: f.__name__)
@relaxed
@given(token=wild_text)
def test_decoders_never_fail_unexpectedly(decode: Callable[[str], object], token: str) -> None:
    try:
        decode(token)
    except RemoteProtocolError:
        pass


@pytest.mark.parametrize("decode", DECODERS, ids=lambda f: f.__name__)
@relaxed
@given(data=st.binary())
def test_decoders_on_arbitrary_bytes(decode: Callable[[str], object], data: bytes) -> None:
    # What the parser would hand over from any inbound line.
    for token in (data.decode("iso-8859-1"), data.decode("utf-8", errors="surrogateescape")):
        try:
            decode(token)
        except RemoteProtocolError:
            pass


@relaxed
@given(text=any_text)
def test_double_decoder_is_finite_or_error(text: str) -> None:
    try:
        assert math.isfinite(decode_double(text))
    except RemoteProtocolError:
        pass


# ---------------------------------------------------------------------------------------
# Line reader: any split of the stream yields the same lines.
# ---------------------------------------------------------------------------------------
line_bytes = st.binary(max_size=30).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b""))
terminators = st.sampled_from([b"\r\n", b"\n", b"\r", b"\r\n\r\n", b"\n\n\r"])


def _read(chunks: list[bytes], limit: int) -> list[object]:
    buffer = LineBuffer(limit)
    out: list[object] = []
    for chunk in chunks:
        buffer.feed(chunk)
        while True:
            try:
                line = buffer.next_line()
            except LineTooLongError:
                out.append(None)
                continue
            if line is None:
                break
            out.append(line)
    return out


@relaxed
@given(
    lines=st.lists(st.tuples(line_bytes, terminators), max_size=10),
    cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=8),
    limit=st.integers(min_value=1, max_value=40),
    bom=st.booleans(),
)
def test_line_buffer_split_invariance(
    lines: list[tuple[bytes, bytes]], cuts: list[int], limit: int, bom: bool
) -> None:
    stream = (b"\xef\xbb\xbf" if bom else b"") + b"".join(text + end for text, end in lines)
    # The first line loses its BOM only if the stream starts with one.
    expected: list[object] = []
    for index, (text, _) in enumerate(lines):
        if index == 0 and not bom and text.startswith(b"\xef\xbb\xbf"):
            text = text[3:]
        if text:
            expected.append(text if len(text) <= limit else None)
    points = sorted({min(c, len(stream)) for c in cuts})
    chunks = [stream[a:b] for a, b in zip([0, *points], [*points, len(stream)], strict=True)]
    assert _read(chunks, limit) == expected
    assert _read([stream[i : i + 1] for i in range(len(stream))], limit) == expected


@relaxed
@given(data=st.lists(st.binary(max_size=50), max_size=10), limit=st.integers(1, 64))
def test_line_buffer_arbitrary_bytes(data: list[bytes], limit: int) -> None:
    # Any input: only lines or LineTooLongError, and lines never hold terminators.
    for line in _read(data, limit):
        if line is not None:
            assert isinstance(line, bytes)
            assert line
            assert b"\r" not in line
            assert b"\n" not in line
            assert len(line) <= limit
