"""LiteralBasedProvider: configuration by init parameters (API-CONTRACT.md §3, bug B21)."""

from __future__ import annotations

import pytest

from lightstreamer_adapter.interfaces.metadata import (
    AccessError,
    MetadataProvider,
    MetadataProviderError,
    Mode,
)
from lightstreamer_adapter.metadata import LiteralBasedProvider

ALL = list(Mode)


def make(params: dict[str, str], prefix: str = "") -> LiteralBasedProvider:
    provider = LiteralBasedProvider(param_prefix=prefix) if prefix else LiteralBasedProvider()
    provider.initialize(params)
    return provider


def test_is_a_metadata_provider() -> None:
    assert isinstance(LiteralBasedProvider(), MetadataProvider)


def test_defaults() -> None:
    p = make({})
    p.notify_user("anybody", None, {})
    p.notify_user(None, None, {})
    assert p.get_allowed_max_bandwidth("u") == 0.0
    assert p.get_allowed_max_item_frequency("u", "i") == 0.0
    assert p.get_allowed_buffer_size("u", "i") == 0
    assert p.get_distinct_snapshot_length("i") == 10
    assert p.get_min_source_frequency("i") == 0.0
    assert [m for m in Mode if p.mode_may_be_allowed("i", m)] == ALL
    assert [m for m in Mode if p.ismode_allowed("u", "i", m)] == ALL


def test_defaults_before_initialize() -> None:
    p = LiteralBasedProvider()
    assert p.get_distinct_snapshot_length("i") == 10
    p.notify_user("x", "y", {})


@pytest.mark.parametrize(
    ("group", "items"),
    [
        ("a b", ["a", "b"]),
        ("a  b", ["a", "b"]),  # no empty names, unlike the split(" ") default (B21)
        (" a\tb\nc ", ["a", "b", "c"]),
        ("", []),
        ("   ", []),
        ("single", ["single"]),
    ],
)
def test_items_and_fields_split_on_any_whitespace(group: str, items: list[str]) -> None:
    p = make({})
    assert p.get_items("u", "S1", group) == items
    assert p.get_schema("u", "S1", "g", group) == items


def test_allowed_users_comma_and_space_separated() -> None:
    p = make({"allowed_users": "alice, bob carol,dave"})
    for user in ("alice", "bob", "carol", "dave"):
        p.notify_user(user, "any password", {})
    for user in ("eve", None, "", "alice,"):
        with pytest.raises(AccessError):
            p.notify_user(user, "pw", {})
    with pytest.raises(AccessError):
        p.notify_user_with_principal("eve", "pw", {}, "CN=eve")


def test_blank_allowed_users_means_everyone() -> None:
    make({"allowed_users": "  "}).notify_user("anyone", None, {})


def test_limits() -> None:
    p = make(
        {
            "max_bandwidth": "40",
            "max_frequency": "5.5",
            "buffer_size": "30",
            "distinct_snapshot_length": "20",
            "min_source_frequency": "2",
        }
    )
    assert p.get_allowed_max_bandwidth("u") == 40.0
    assert isinstance(p.get_allowed_max_bandwidth("u"), float)
    assert p.get_allowed_max_item_frequency("u", "i") == 5.5
    assert p.get_allowed_buffer_size("u", "i") == 30
    assert p.get_distinct_snapshot_length("i") == 20
    assert p.get_min_source_frequency("i") == 2.0


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("max_bandwidth", "fast"),
        ("max_bandwidth", "-1"),
        ("max_frequency", "nan"),
        ("max_frequency", "inf"),
        ("buffer_size", "1.5"),
        ("buffer_size", "-3"),
        ("distinct_snapshot_length", "ten"),
        ("allowed_modes", "MERGE STREAM"),
        ("item_family_1", "("),
        ("modes_for_item_family_1", "BOGUS"),
    ],
)
def test_malformed_parameter_names_it(name: str, value: str) -> None:
    params = {name: value}
    if name == "modes_for_item_family_1":
        params["item_family_1"] = ".*"
    with pytest.raises(MetadataProviderError, match=name):
        make(params)


def test_allowed_modes() -> None:
    p = make({"allowed_modes": "merge, DISTINCT"})
    assert [m for m in Mode if p.mode_may_be_allowed("x", m)] == [Mode.MERGE, Mode.DISTINCT]
    assert [m for m in Mode if p.ismode_allowed("u", "x", m)] == [Mode.MERGE, Mode.DISTINCT]
    p = make({"allowed_modes": ""})
    assert [m for m in Mode if p.mode_may_be_allowed("x", m)] == []


def test_item_families_first_match_in_numeric_order() -> None:
    p = make(
        {
            "allowed_modes": "MERGE",
            "item_family_10": "news_.*",
            "modes_for_item_family_10": "RAW",
            "item_family_2": "news_sport.*",
            "modes_for_item_family_2": "DISTINCT COMMAND",
            "item_family_x": "chat",
        }
    )

    def modes(item: str) -> list[Mode]:
        return [m for m in Mode if p.mode_may_be_allowed(item, m)]

    assert modes("news_sport_1") == [Mode.DISTINCT, Mode.COMMAND]
    assert modes("news_world") == [Mode.RAW]
    assert modes("chat") == ALL  # family without modes: every mode
    assert modes("chat2") == [Mode.MERGE]  # full match only
    assert modes("stock") == [Mode.MERGE]


def test_prefixed_parameters_win_and_plain_ones_are_a_fallback() -> None:
    p = make(
        {
            "lit:max_bandwidth": "12.5",
            "max_bandwidth": "99",
            "buffer_size": "7",
            "lit:allowed_users": "alice",
            "adapters_conf.id": "DEMO",
        },
        prefix="lit:",
    )
    assert p.get_allowed_max_bandwidth("u") == 12.5
    assert p.get_allowed_buffer_size("u", "i") == 7
    with pytest.raises(AccessError):
        p.notify_user("bob", None, {})


def test_reinitialize_resets_configuration() -> None:
    p = make({"allowed_users": "alice", "buffer_size": "3"})
    p.initialize({})
    p.notify_user("bob", None, {})
    assert p.get_allowed_buffer_size("u", "i") == 0


def test_user_messages_still_refused_by_default() -> None:
    from lightstreamer_adapter.interfaces.metadata import CreditsError

    with pytest.raises(CreditsError):
        make({}).notify_user_message("u", "S", "hello")
