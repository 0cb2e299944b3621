"""The token codec: one value of an ARI packet to its wire token and back.

Every value of a packet travels as one ``|``-separated token whose syntax depends on its
type letter (ARI-PROTOCOL.md §3.1). This module converts between Python values and those
tokens; it knows nothing about packets, separators or lines.

Decoders raise :class:`~lightstreamer_adapter.protocol.errors.RemoteProtocolError` for a
malformed token, without a request id: the parser that calls them adds the context.
Encoders raise :class:`~lightstreamer_adapter.protocol.errors.LocalProtocolError` for a
value ARI cannot carry.

Strings have two encodings (ARI-PROTOCOL.md §3.3): the Backward-Compatibility encoding
(``*_bc``), used by every packet in ARI 1.8 and by ``RAC``, ``MPI``, ``DPI`` and ``CLOSE``
in every version, and the Smart encoding (``*_smart``), used by the other packets since
ARI 1.9.0. :func:`string_codec` picks the one for ordinary packets at a given version.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import Callable, Iterable, Sequence

from ..interfaces.data import DiffAlgorithm
from ..interfaces.metadata import Mode, MpnPlatformType
from .errors import LocalProtocolError, RemoteProtocolError
from .versions import ProtocolVersion

__all__ = [
    "EMPTY",
    "NULL",
    "bytes_as_string",
    "decode_bool",
    "decode_bytes_base64",
    "decode_diff_algorithms",
    "decode_double",
    "decode_int",
    "decode_long",
    "decode_mode",
    "decode_modes",
    "decode_platform",
    "decode_string_bc",
    "decode_string_smart",
    "encode_bool",
    "encode_bytes_base64",
    "encode_diff_algorithms",
    "encode_double",
    "encode_int",
    "encode_long",
    "encode_mode",
    "encode_modes",
    "encode_platform",
    "encode_string_bc",
    "encode_string_smart",
    "string_codec",
]

#: The token of a null value (types ``S``, ``M``, ``F``, ``P``, ``Y``; ARI-PROTOCOL.md §3.2).
NULL = "#"
#: The token of an empty value (types ``S``, ``M``, ``F``, ``Y``; ARI-PROTOCOL.md §3.2).
EMPTY = "$"

_isfinite = math.isfinite

_INT_MIN = -(1 << 31)
_INT_MAX = (1 << 31) - 1
_LONG_MIN = -(1 << 63)
_LONG_MAX = (1 << 63) - 1

# ---------------------------------------------------------------------------------------
# Strings
# ---------------------------------------------------------------------------------------

_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")

# Java's URLEncoder leaves exactly these bytes raw (ARI-PROTOCOL.md §3.3.1).
_BC_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-*_")
# One output string per UTF-8 byte, so the slow path is a single join.
_BC_BY_BYTE: tuple[str, ...] = tuple(
    chr(byte) if byte in _BC_SAFE else "+" if byte == 0x20 else f"%{byte:02X}"
    for byte in range(256)
)
# Strings made of safe characters and spaces only (most RAC, MPI and DPI values, and most
# values in ARI 1.8) skip the per-byte table.
_BC_PLAIN = re.compile(r"[A-Za-z0-9.*_ -]+").fullmatch

# The values that a Smart-encoded string must not contain raw (ARI-PROTOCOL.md §3.3.2).
_SMART_SPECIAL = {"": EMPTY, "#": "%23", "$": "%24"}


def encode_string_bc(value: str | None) -> str:
    """Encode a string with the Backward-Compatibility encoding (ARI-PROTOCOL.md §3.3.1).

    The output is what Java's ``URLEncoder`` produces: ``A-Z a-z 0-9 . - * _`` raw, space as
    ``+``, every other character as its UTF-8 bytes in upper-case ``%XX`` escapes.

    Args:
        value: The string, or ``None``.

    Returns:
        The token: ``#`` for ``None``, ``$`` for the empty string, else the encoded text.

    Raises:
        LocalProtocolError: The string contains a lone surrogate, which has no UTF-8 form.
    """
    if value is None:
        return NULL
    if not value:
        return EMPTY
    if _BC_PLAIN(value) is not None:
        return value.replace(" ", "+")
    try:
        data = value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise LocalProtocolError(
            f"Cannot send {value!r}: it contains a lone surrogate, which UTF-8 cannot carry"
        ) from exc
    return "".join([_BC_BY_BYTE[byte] for byte in data])


def encode_string_smart(value: str | None) -> str:
    """Encode a string with the Smart encoding of ARI 1.9 (ARI-PROTOCOL.md §3.3.2).

    Only CR, LF, ``|``, ``%`` and ``+`` are escaped (``%0D %0A %7C %25 %2B``); every
    other character, space and non-ASCII included, is written raw.

    Lone surrogates are not checked here, to keep this hot path short; encoding the
    finished line to UTF-8 fails on them.

    Args:
        value: The string, or ``None``.

    Returns:
        The token: ``#`` for ``None``, ``$`` for the empty string, ``%23``/``%24`` for
        the one-character strings ``#``/``$``, else the encoded text.
    """
    if value is None:
        return NULL
    # Every update value passes here. Five ``in`` tests (each a C-level memchr) beat a
    # precompiled regex search, a frozenset.isdisjoint test and an unconditional
    # str.translate on clean strings, and a chain of str.replace calls beats
    # str.translate (slow with multi-character replacements) when something must be
    # escaped; measured with timeit on CPython 3.11. "%" goes first so that the escapes
    # added afterwards are not escaped again.
    if "%" in value or "|" in value or "+" in value or "\r" in value or "\n" in value:
        return (
            value.replace("%", "%25")
            .replace("|", "%7C")
            .replace("+", "%2B")
            .replace("\r", "%0D")
            .replace("\n", "%0A")
        )
    if len(value) > 1:
        return value
    return _SMART_SPECIAL.get(value, value)


def _utf8_of_raw(text: str, token: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise RemoteProtocolError(f"Malformed string token {token!r}: lone surrogate") from exc


def _percent_decode(token: str) -> str:
    """Decode ``%XX`` escapes (either hex case) mixed with raw characters, via UTF-8 bytes.

    The bytes of one character may be split between escapes and raw text
    (ARI-PROTOCOL.md §10 item 30), so everything is collected as bytes first.
    """
    parts = token.split("%")
    data = bytearray(_utf8_of_raw(parts[0], token))
    for part in parts[1:]:
        if len(part) < 2 or part[0] not in _HEX_DIGITS or part[1] not in _HEX_DIGITS:
            raise RemoteProtocolError(
                f"Malformed percent escape {'%' + part[:2]!r} in string token {token!r}"
            )
        data.append(int(part[:2], 16))
        if len(part) > 2:
            data += _utf8_of_raw(part[2:], token)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RemoteProtocolError(
            f"Malformed string token {token!r}: its escapes are not valid UTF-8"
        ) from exc


def decode_string_bc(token: str) -> str | None:
    """Decode a Backward-Compatibility encoded token (ARI-PROTOCOL.md §3.3.1).

    ``+`` is a space and ``%XX`` (either hex case) a UTF-8 byte; other characters stand
    for themselves (a raw space, which some Proxies send, is accepted).

    Args:
        token: The token, as read from the line.

    Returns:
        ``None`` for ``#``, the empty string for ``$``, else the decoded string.

    Raises:
        RemoteProtocolError: A malformed ``%`` escape or bytes that are not UTF-8.
    """
    if "%" not in token:
        if "+" in token:
            return token.replace("+", " ")
        if token == NULL:
            return None
        if token == EMPTY:
            return ""
        return token
    # Replacing before decoding is safe: an escape consists of "%" and hex digits only.
    return _percent_decode(token.replace("+", " "))


def decode_string_smart(token: str) -> str | None:
    """Decode a Smart-encoded token (ARI-PROTOCOL.md §3.3.2).

    ``%XX`` (either hex case) is a UTF-8 byte; every other character, ``+`` included,
    stands for itself.

    Args:
        token: The token, as read from the line.

    Returns:
        ``None`` for ``#``, the empty string for ``$``, else the decoded string.

    Raises:
        RemoteProtocolError: A malformed ``%`` escape or bytes that are not UTF-8.
    """
    if "%" not in token:
        if token == NULL:
            return None
        if token == EMPTY:
            return ""
        return token
    return _percent_decode(token)


def string_codec(
    version: ProtocolVersion,
) -> tuple[Callable[[str | None], str], Callable[[str], str | None]]:
    """Return the string encoder and decoder of ordinary packets at a protocol version.

    Ordinary packets are all but ``RAC``, ``MPI``, ``DPI`` and ``CLOSE``, which always use
    the Backward-Compatibility encoding (ARI-PROTOCOL.md §3.4).

    Args:
        version: The negotiated protocol version.

    Returns:
        ``(encoder, decoder)``: the Smart pair from ARI 1.9.0, else the BC pair.
    """
    if version.smart_encoding:
        return encode_string_smart, decode_string_smart
    return encode_string_bc, decode_string_bc


def bytes_as_string(value: bytes) -> str:
    """Turn a byte-array field value into the string that ARI 1.9 sends for it.

    Each byte becomes the character with the same code point (ISO-8859-1), as the
    reference SDKs do (ARI-PROTOCOL.md §3.9); the result is then string-encoded.

    Args:
        value: The bytes.

    Returns:
        One character per byte.
    """
    return value.decode("iso-8859-1")


# ---------------------------------------------------------------------------------------
# Booleans and numbers
# ---------------------------------------------------------------------------------------


def encode_bool(value: bool) -> str:
    """Encode a boolean (type ``B``) as ``1`` or ``0`` (ARI-PROTOCOL.md §3.5).

    Args:
        value: The boolean.

    Returns:
        ``"1"`` for true, ``"0"`` for false.
    """
    return "1" if value else "0"


def decode_bool(token: str) -> bool:
    """Decode a boolean token (type ``B``; ARI-PROTOCOL.md §3.5).

    Args:
        token: ``1`` or ``0``.

    Returns:
        ``True`` for ``1``, ``False`` for ``0``.

    Raises:
        RemoteProtocolError: Any other token.
    """
    if token == "1":
        return True
    if token == "0":
        return False
    raise RemoteProtocolError(f"Malformed boolean token {token!r}: expected '1' or '0'")


# ASCII digits only: "\d" and int() would also accept other Unicode digits.
_INTEGER = re.compile(r"-?[0-9]+").fullmatch


def _encode_integer(value: int, low: int, high: int, kind: str) -> str:
    if isinstance(value, bool) or not isinstance(value, int):
        raise LocalProtocolError(f"Cannot send {value!r} as {kind}: it is not an int")
    if not low <= value <= high:
        raise LocalProtocolError(f"Cannot send {value} as {kind}: out of range {low}..{high}")
    # int.__str__ also for int subclasses, e.g. an IntEnum (whose str() differs in 3.10).
    return int.__repr__(value)


def _decode_integer(token: str, low: int, high: int, kind: str) -> int:
    if _INTEGER(token) is None:
        raise RemoteProtocolError(f"Malformed {kind} token {token!r}")
    try:
        value = int(token)
    except ValueError:  # beyond int()'s digit limit: far out of range anyway
        value = high + 1
    if not low <= value <= high:
        raise RemoteProtocolError(f"Malformed {kind} token {token!r}: out of range")
    return value


def encode_int(value: int) -> str:
    """Encode a 32-bit signed integer (type ``I``; ARI-PROTOCOL.md §3.5).

    Args:
        value: An ``int`` (not a ``bool``) between -2**31 and 2**31-1.

    Returns:
        The decimal form.

    Raises:
        LocalProtocolError: A non-int (convert before calling) or a value out of range.
    """
    if type(value) is int and _INT_MIN <= value <= _INT_MAX:  # the usual case, inline
        return str(value)
    return _encode_integer(value, _INT_MIN, _INT_MAX, "a 32-bit integer")


def decode_int(token: str) -> int:
    """Decode a 32-bit signed integer token (type ``I``; ARI-PROTOCOL.md §3.5).

    Args:
        token: ASCII decimal digits with an optional leading ``-``.

    Returns:
        The integer.

    Raises:
        RemoteProtocolError: Another syntax (``+``, spaces, empty, non-ASCII digits) or a
            value out of the 32-bit range.
    """
    return _decode_integer(token, _INT_MIN, _INT_MAX, "32-bit integer")


def encode_long(value: int) -> str:
    """Encode a 64-bit signed integer (type ``L``; ARI-PROTOCOL.md §3.5).

    Args:
        value: An ``int`` (not a ``bool``) between -2**63 and 2**63-1.

    Returns:
        The decimal form.

    Raises:
        LocalProtocolError: A non-int or a value out of range.
    """
    return _encode_integer(value, _LONG_MIN, _LONG_MAX, "a 64-bit integer")


def decode_long(token: str) -> int:
    """Decode a 64-bit signed integer token (type ``L``; ARI-PROTOCOL.md §3.5).

    Args:
        token: ASCII decimal digits with an optional leading ``-``.

    Returns:
        The integer.

    Raises:
        RemoteProtocolError: Another syntax or a value out of the 64-bit range.
    """
    return _decode_integer(token, _LONG_MIN, _LONG_MAX, "64-bit integer")


def encode_double(value: float) -> str:
    """Encode a finite double (type ``D``) as ``repr(float(value))`` (ARI-PROTOCOL.md §3.5).

    Java's ``Double.parseDouble`` on the Proxy accepts every output (``12.3``, ``0.0``,
    ``1e+16``).

    Args:
        value: A finite ``float`` or an ``int`` (not a ``bool``).

    Returns:
        The decimal form.

    Raises:
        LocalProtocolError: NaN, an infinity, an int too large for a double, or a value
            that is not a float or an int.
    """
    if type(value) is float and _isfinite(value):  # the usual case first
        return repr(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise LocalProtocolError(f"Cannot send {value!r} as a double: it is not a number")
    try:
        number = float(value)
    except OverflowError as exc:
        raise LocalProtocolError(f"Cannot send {value} as a double: too large") from exc
    if not math.isfinite(number):
        # Java would not parse Python's "nan"/"inf" spellings (ARI-PROTOCOL.md §3.5).
        raise LocalProtocolError(f"Cannot send {value!r} as a double: it is not finite")
    return repr(number)


# The forms written by Java (1.0E10), JavaScript (3) and Python (1e+16); no NaN, no
# infinities, no underscores or spaces, which float() alone would accept.
_DOUBLE = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?").fullmatch


def decode_double(token: str) -> float:
    """Decode a double token (type ``D``; ARI-PROTOCOL.md §3.5).

    Args:
        token: A decimal number with optional sign, fraction and exponent, as written by
            Java, JavaScript or Python (``12.3``, ``0``, ``1.0E10``, ``1e+16``, ``-0.5``).

    Returns:
        The number, always finite.

    Raises:
        RemoteProtocolError: Any other syntax (``NaN``, ``Infinity``, empty, ``1_0``) or a
            magnitude too large for a double.
    """
    if _DOUBLE(token) is None:
        raise RemoteProtocolError(f"Malformed double token {token!r}")
    value = float(token)
    if math.isinf(value):
        raise RemoteProtocolError(f"Malformed double token {token!r}: out of range")
    return value


# ---------------------------------------------------------------------------------------
# Modes, diff algorithms, MPN platforms
# ---------------------------------------------------------------------------------------

# The order in which the reference SDKs list allowed modes (ARI-PROTOCOL.md §3.6).
_MODE_ORDER = (Mode.RAW, Mode.MERGE, Mode.DISTINCT, Mode.COMMAND)
_MODE_BY_LETTER = {mode.value: mode for mode in Mode}
_ALL_MODES_TOKEN = "".join(mode.value for mode in _MODE_ORDER)  # "RMDC"
# The tokens of every set of modes: the letters in the order R M D C, each once.
_ORDERED_MODE_TOKENS = frozenset(
    "".join(letter for bit, letter in enumerate(_ALL_MODES_TOKEN) if mask >> bit & 1)
    for mask in range(1 << len(_MODE_ORDER))
)
_DIFF_BY_LETTER = {algorithm.value: algorithm for algorithm in DiffAlgorithm}


def encode_modes(modes: Iterable[Mode] | None) -> str:
    """Encode a set of allowed modes (type ``M``; ARI-PROTOCOL.md §3.6).

    Args:
        modes: The modes, in any order and possibly repeated, or ``None``.

    Returns:
        ``#`` for ``None``, ``$`` for no mode, else the letters in the order ``R M D C``,
        each once.

    Raises:
        LocalProtocolError: An element is not a :class:`Mode`.
    """
    if modes is None:
        return NULL
    if type(modes) is tuple:
        # Fast paths for a tuple already in R M D C order without repeats, what the
        # Metadata handlers build: set and dict lookups would hash the modes with
        # Enum.__hash__, which is Python code, and Mode.value is a Python property;
        # _value_ is the plain attribute behind it (enum's documented "sunder" name).
        if modes == _MODE_ORDER:  # every mode, the library default: compared by identity
            return _ALL_MODES_TOKEN
        letters = "".join([mode._value_ for mode in modes if type(mode) is Mode])
        if len(letters) == len(modes) and letters in _ORDERED_MODE_TOKENS:
            return letters or EMPTY
    chosen: set[Mode] = set()
    for mode in modes:
        if not isinstance(mode, Mode):
            raise LocalProtocolError(f"Cannot send {mode!r} as a mode: it is not a Mode")
        chosen.add(mode)
    if not chosen:
        return EMPTY
    return "".join([mode.value for mode in _MODE_ORDER if mode in chosen])


def decode_modes(token: str) -> tuple[Mode, ...] | None:
    """Decode a set of modes (type ``M``; ARI-PROTOCOL.md §3.6).

    Args:
        token: ``#``, ``$`` or one or more of the letters ``R M D C``.

    Returns:
        ``None`` for ``#``, ``()`` for ``$``, else the modes in token order; a repeated
        letter is listed once.

    Raises:
        RemoteProtocolError: An empty token or an unknown letter.
    """
    if token == NULL:
        return None
    if token == EMPTY:
        return ()
    if not token:
        raise RemoteProtocolError("Malformed mode token: empty")
    modes: dict[Mode, None] = {}
    for letter in token:
        mode = _MODE_BY_LETTER.get(letter)
        if mode is None:
            raise RemoteProtocolError(f"Malformed mode token {token!r}: unknown mode {letter!r}")
        modes[mode] = None
    return tuple(modes)


def encode_mode(mode: Mode | None) -> str:
    """Encode the single mode of a table (type ``M``; ARI-PROTOCOL.md §3.6).

    Args:
        mode: The mode, or ``None`` when unknown.

    Returns:
        Its letter, or ``#``.

    Raises:
        LocalProtocolError: The value is not a :class:`Mode`.
    """
    if mode is None:
        return NULL
    if not isinstance(mode, Mode):
        raise LocalProtocolError(f"Cannot send {mode!r} as a mode: it is not a Mode")
    return mode.value


def decode_mode(token: str) -> Mode | None:
    """Decode the single mode of a table (type ``M``; ARI-PROTOCOL.md §3.6).

    Args:
        token: One of the letters ``R M D C``; ``#`` and ``$`` are tolerated.

    Returns:
        The mode, or ``None`` for ``#`` and ``$`` (mode unknown).

    Raises:
        RemoteProtocolError: Anything else.
    """
    mode = _MODE_BY_LETTER.get(token)
    if mode is not None:
        return mode
    if token in (NULL, EMPTY):
        return None
    raise RemoteProtocolError(f"Malformed mode token {token!r}: expected one of R, M, D, C")


def encode_diff_algorithms(algorithms: Sequence[DiffAlgorithm] | None) -> str:
    """Encode the diff algorithms allowed for a field (type ``F``; ARI-PROTOCOL.md §3.7).

    Args:
        algorithms: The algorithms in order of preference; ``None`` for "no information"
            (the Server's default applies), empty for "none allowed".

    Returns:
        ``#``, ``$``, or the letters in the given order.

    Raises:
        LocalProtocolError: An element is not a :class:`DiffAlgorithm`.
    """
    if algorithms is None:
        return NULL
    letters = []
    for algorithm in algorithms:
        if not isinstance(algorithm, DiffAlgorithm):
            raise LocalProtocolError(
                f"Cannot send {algorithm!r} as a diff algorithm: it is not a DiffAlgorithm"
            )
        letters.append(algorithm.value)
    return "".join(letters) if letters else EMPTY


def decode_diff_algorithms(token: str) -> tuple[DiffAlgorithm, ...] | None:
    """Decode a list of diff algorithms (type ``F``; ARI-PROTOCOL.md §3.7).

    Args:
        token: ``#``, ``$`` or a sequence of the letters ``J`` and ``M``.

    Returns:
        ``None`` for ``#``, ``()`` for ``$``, else the algorithms in token order.

    Raises:
        RemoteProtocolError: An empty token or an unknown letter.
    """
    if token == NULL:
        return None
    if token == EMPTY:
        return ()
    if not token:
        raise RemoteProtocolError("Malformed diff algorithm token: empty")
    algorithms = []
    for letter in token:
        algorithm = _DIFF_BY_LETTER.get(letter)
        if algorithm is None:
            raise RemoteProtocolError(
                f"Malformed diff algorithm token {token!r}: unknown algorithm {letter!r}"
            )
        algorithms.append(algorithm)
    return tuple(algorithms)


def encode_platform(platform: MpnPlatformType | str | None) -> str:
    """Encode an MPN platform (type ``P``; ARI-PROTOCOL.md §3.8).

    Args:
        platform: A platform, a raw platform string received earlier, or ``None``.

    Returns:
        ``A``/``G`` for the platforms, ``#`` for ``None``, a raw string as it is.

    Raises:
        LocalProtocolError: A string that is empty, is exactly ``#`` (it would read as
            null) or contains ``|``, CR or LF; or a value of another type.
    """
    if platform is None:
        return NULL
    if isinstance(platform, MpnPlatformType):
        return platform.value
    if not isinstance(platform, str):
        raise LocalProtocolError(f"Cannot send {platform!r} as an MPN platform")
    if not platform or platform == NULL or any(c in platform for c in "|\r\n"):
        raise LocalProtocolError(
            f"Cannot send {platform!r} as an MPN platform: it must be a non-empty token "
            "other than '#' without '|', CR or LF"
        )
    return platform


def decode_platform(token: str) -> MpnPlatformType | str | None:
    """Decode an MPN platform (type ``P``; ARI-PROTOCOL.md §3.8).

    Args:
        token: ``A``, ``G``, ``#`` or anything else.

    Returns:
        The platform for ``A``/``G``, ``None`` for ``#``, else the token itself, so that
        a platform unknown to this SDK does not fail the request.
    """
    if token == "A":
        return MpnPlatformType.APPLE
    if token == "G":
        return MpnPlatformType.GOOGLE
    if token == NULL:
        return None
    return token


# ---------------------------------------------------------------------------------------
# Byte arrays (ARI 1.8 only)
# ---------------------------------------------------------------------------------------


def encode_bytes_base64(value: bytes | None) -> str:
    """Encode a byte-array value (type ``Y``, ARI 1.8 only; ARI-PROTOCOL.md §3.9).

    Args:
        value: The bytes, or ``None``.

    Returns:
        ``#`` for ``None``, ``$`` for no bytes, else standard Base64 with padding.
    """
    if value is None:
        return NULL
    if not value:
        return EMPTY
    return base64.b64encode(value).decode("ascii")


def decode_bytes_base64(token: str) -> bytes | None:
    """Decode a byte-array token (type ``Y``, ARI 1.8 only; ARI-PROTOCOL.md §3.9).

    Args:
        token: ``#``, ``$`` or standard Base64 with padding.

    Returns:
        ``None`` for ``#``, ``b""`` for ``$``, else the bytes.

    Raises:
        RemoteProtocolError: An empty token or invalid Base64.
    """
    if token == NULL:
        return None
    if token == EMPTY:
        return b""
    if not token:
        raise RemoteProtocolError("Malformed byte-array token: empty")
    try:
        return base64.b64decode(token, validate=True)
    except (binascii.Error, ValueError) as exc:  # ValueError: non-ASCII characters
        raise RemoteProtocolError(f"Malformed byte-array token {token!r}: {exc}") from exc
