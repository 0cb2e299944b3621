"""Version negotiation (ARI-PROTOCOL.md §4.3, §4.5) and keepalive choice (§7) tables."""

from __future__ import annotations

import dataclasses

import pytest

from lightstreamer_adapter.protocol.fields import decode_string_bc, encode_string_bc
from lightstreamer_adapter.protocol.negotiation import (
    DEFAULT_KEEPALIVE,
    MIN_KEEPALIVE,
    STRICT_KEEPALIVE,
    KeepaliveDecision,
    Negotiated,
    Refused,
    Side,
    choose_keepalive,
    initial_keepalive,
    negotiate_version,
)
from lightstreamer_adapter.protocol.versions import (
    V1_8_0,
    V1_8_2,
    V1_8_3,
    V1_9_0,
    V1_9_1,
    ProtocolVersion,
)

META, DATA = Side.METADATA, Side.DATA
REFUSE = None

# (offered ARI.version, Metadata answer, Data answer); None = refused. §4.3 "Recommended".
NEGOTIATION_TABLE: list[tuple[str | None, ProtocolVersion | None, ProtocolVersion | None]] = [
    (None, V1_8_0, REFUSE),  # Server 7.0: Metadata replies MPI|V
    ("1.8.0", REFUSE, REFUSE),  # §10 item 21
    ("1.8.1", REFUSE, REFUSE),  # §10 item 21
    ("1.8.2", V1_8_2, REFUSE),  # §10 item 18
    ("1.8.3", V1_8_3, REFUSE),  # §10 items 18, 20
    ("1.8.4", V1_8_3, REFUSE),  # other 1.8.x
    ("1.8.10", V1_8_3, REFUSE),  # numeric, not lexical
    ("1.9.0", V1_9_0, REFUSE),  # §10 items 18, 19
    ("1.9.1", V1_9_1, V1_9_1),  # §10 items 15, 16
    ("1.9.2", V1_9_1, V1_9_1),  # §10 item 17
    ("1.10.0", V1_9_1, V1_9_1),  # §10 item 17 (lexically "1.10.0" < "1.9.1")
    ("2.0", V1_9_1, V1_9_1),  # §10 item 17
    ("2.0.0", V1_9_1, V1_9_1),
    ("1.9", V1_9_0, REFUSE),  # padded: 1.9 means 1.9.0
    ("1.9.0.5", V1_9_0, REFUSE),
    ("1.8.2.1", V1_8_2, REFUSE),
    ("1.7", REFUSE, REFUSE),  # older than anything supported
    ("1.7.0", REFUSE, REFUSE),
    ("0.9.9", REFUSE, REFUSE),
    ("1.8", REFUSE, REFUSE),  # = 1.8.0
    # not parseable → refused
    ("", REFUSE, REFUSE),
    ("abc", REFUSE, REFUSE),
    ("1", REFUSE, REFUSE),
    ("1.9.x", REFUSE, REFUSE),
    (" 1.9.1", REFUSE, REFUSE),
    ("1.9.1 ", REFUSE, REFUSE),
    ("1..9", REFUSE, REFUSE),
    ("v1.9.1", REFUSE, REFUSE),
    ("1.9.-1", REFUSE, REFUSE),
    ("\u0661.9.1", REFUSE, REFUSE),
]


@pytest.mark.parametrize(("offered", "metadata", "data"), NEGOTIATION_TABLE)
def test_negotiation_table(
    offered: str | None, metadata: ProtocolVersion | None, data: ProtocolVersion | None
) -> None:
    for side, expected in ((META, metadata), (DATA, data)):
        result = negotiate_version(offered, side)
        if expected is None:
            assert isinstance(result, Refused), (side, result)
            assert result.message
        else:
            assert result == Negotiated(expected), side


@pytest.mark.parametrize(("offered", "metadata", "data"), NEGOTIATION_TABLE)
def test_refusal_messages_survive_bc(
    offered: str | None, metadata: ProtocolVersion | None, data: ProtocolVersion | None
) -> None:
    # §10 item 18: the error message is BC-encoded in the DPI/MPI reply
    for side in (META, DATA):
        result = negotiate_version(offered, side)
        if isinstance(result, Refused):
            assert decode_string_bc(encode_string_bc(result.message)) == result.message


def test_data_refusal_explains_the_single_connection() -> None:
    result = negotiate_version("1.9.0", DATA)
    assert isinstance(result, Refused)
    assert "1.9.0" in result.message
    assert "7.4" in result.message
    assert "single connection" in result.message
    absent = negotiate_version(None, DATA)
    assert isinstance(absent, Refused)
    assert "7.4" in absent.message


def test_unparseable_refusal_names_the_value() -> None:
    result = negotiate_version("banana", META)
    assert isinstance(result, Refused)
    assert "banana" in result.message
    long = negotiate_version("x" * 10_000, META)
    assert isinstance(long, Refused)
    assert len(long.message) < 200


def test_results_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Negotiated(V1_9_1).version = V1_9_0  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        Refused("no").message = "yes"  # type: ignore[misc]


# ---------------------------------------------------------------------------------------
# Keepalive — §7 table; §10 items 81-86
# ---------------------------------------------------------------------------------------
def test_constants() -> None:
    assert (DEFAULT_KEEPALIVE, STRICT_KEEPALIVE, MIN_KEEPALIVE) == (10.0, 1.0, 1.0)


OFF = None
# (configured seconds, hint millis string, version offered, expected interval, warns)
KEEPALIVE_TABLE: list[tuple[float | None, str | None, bool, float | None, bool]] = [
    # configured unset
    (None, None, True, 10.0, False),  # hint absent, Proxy >= 1.8.2 — §10 item 83
    (None, None, False, 1.0, False),  # hint absent, 1.8.0 Proxy — §10 item 84
    (None, "0", True, 10.0, False),  # hint <= 0
    (None, "-1", True, 10.0, False),
    (None, "3000", True, 3.0, False),  # §10 item 81
    (None, "500", True, 1.0, True),  # §10 item 82: floor 1 s
    (None, "1000", True, 1.0, False),
    (None, "9999", True, 9.999, False),
    (None, "10000", True, 10.0, False),  # hint >= DEFAULT → DEFAULT
    (None, "60000", True, 10.0, False),
    (None, "3000", False, 3.0, False),  # a hint without a version still counts
    # configured > 0
    (5.0, None, True, 5.0, False),
    (5.0, None, False, 5.0, False),
    (5.0, "0", True, 5.0, False),
    (5.0, "-100", True, 5.0, False),
    (5.0, "2000", True, 2.0, False),  # §10 item 85: stricter hint wins
    (5.0, "8000", True, 5.0, False),  # §10 item 85: stricter configuration kept
    (5.0, "5000", True, 5.0, False),
    (5.0, "200", True, 1.0, True),  # floor 1 s
    (30.0, "20000", True, 20.0, False),  # configured may exceed DEFAULT
    (0.5, None, True, 0.5, False),  # configured below MIN is the application's choice
    # configured <= 0: disabled
    (0.0, None, True, OFF, False),
    (0.0, None, False, OFF, False),
    (-1.0, "0", True, OFF, False),
    (0.0, "-5", True, OFF, False),
    (0.0, "4000", True, 4.0, True),  # §10 item 86: forced on (1.3.1 bug B6 not repeated)
    (-1.0, "300", True, 1.0, True),  # forced on, floor 1 s
    (0.0, "60000", True, 60.0, True),
    # non-numeric hint → absent, with a warning
    (None, "abc", True, 10.0, True),
    (None, "abc", False, 1.0, True),
    (None, "", True, 10.0, True),
    (None, "NaN", True, 10.0, True),
    (None, " 3000", True, 10.0, True),
    (5.0, "fast", True, 5.0, True),
    (0.0, "x", True, OFF, True),
]


@pytest.mark.parametrize(
    ("configured", "hint", "version_offered", "interval", "warns"), KEEPALIVE_TABLE
)
def test_keepalive_table(
    configured: float | None,
    hint: str | None,
    version_offered: bool,
    interval: float | None,
    warns: bool,
) -> None:
    decision = choose_keepalive(configured, hint, version_offered)
    assert isinstance(decision, KeepaliveDecision)
    if interval is None:
        assert decision.interval is None
    else:
        assert decision.interval == pytest.approx(interval)
    assert (decision.warning is not None) == warns, decision.warning


def test_keepalive_warnings_are_informative() -> None:
    floored = choose_keepalive(None, "500", True).warning
    assert floored is not None
    assert "500" in floored
    forced = choose_keepalive(0.0, "4000", True).warning
    assert forced is not None
    assert "disabled" in forced
    assert "4000" in forced
    junk = choose_keepalive(None, "abc", True).warning
    assert junk is not None
    assert "abc" in junk


def test_keepalive_decimal_hint() -> None:
    assert choose_keepalive(None, "2500.0", True).interval == pytest.approx(2.5)


@pytest.mark.parametrize(
    ("configured", "interval"),
    [(None, 10.0), (3.0, 3.0), (0.5, 0.5), (0.0, None), (-1.0, None)],
)
def test_initial_keepalive(configured: float | None, interval: float | None) -> None:
    # §7: before init, configured if set, else DEFAULT
    assert initial_keepalive(configured) == interval
