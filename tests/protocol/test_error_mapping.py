"""Exception to error-reply mapping (ARI-PROTOCOL.md §3.10; bug B8; §10 items 24, 35, 57, 58)."""

from __future__ import annotations

import pytest

from lightstreamer_adapter.interfaces.data import (
    DataProviderError,
    FailureError,
    SubscribeError,
)
from lightstreamer_adapter.interfaces.metadata import (
    AccessError,
    ConflictingSessionError,
    CreditsError,
    ItemsError,
    MetadataProviderError,
    NotificationError,
    ResourceUnavailableError,
    SchemaError,
)
from lightstreamer_adapter.protocol.error_mapping import describe_exception, error_for_exception
from lightstreamer_adapter.protocol.messages import ErrorInfo, ErrorKind, Method
from lightstreamer_adapter.protocol.versions import V1_8_3, V1_9_1

K = ErrorKind


class MyAccess(AccessError):
    pass


class MyCredits(CreditsError):
    pass


class MySubscribe(SubscribeError):
    pass


class BadStr(Exception):
    def __str__(self) -> str:
        raise RuntimeError("no text")


CASES = [
    # (exception, method, expected kind)
    (DataProviderError("x"), Method.DPI, K.DATA),
    (DataProviderError("x"), Method.SUB, K.GENERIC),
    (SubscribeError("x"), Method.SUB, K.SUBSCRIPTION),
    (SubscribeError("x"), Method.USB, K.SUBSCRIPTION),
    (MySubscribe("x"), Method.SUB, K.SUBSCRIPTION),  # subclass maps like its base (item 35)
    (FailureError("x"), Method.SUB, K.FAILURE),
    (FailureError("x"), Method.DPI, K.GENERIC),
    (RuntimeError("x"), Method.SUB, K.GENERIC),
    (MetadataProviderError("x"), Method.MPI, K.METADATA),
    (AccessError("x"), Method.NUS, K.ACCESS),
    (MyAccess("x"), Method.NUA, K.ACCESS),  # bug B8
    (AccessError("x"), Method.NNS, K.GENERIC),
    (ResourceUnavailableError("x"), Method.NUS, K.RESOURCE_UNAVAILABLE),
    (ItemsError("x"), Method.GIS, K.ITEMS),
    (ItemsError("x"), Method.GSC, K.ITEMS),
    (SchemaError("x"), Method.GSC, K.SCHEMA),
    (SchemaError("x"), Method.GIS, K.GENERIC),
    (ItemsError("x"), Method.GIT, K.GENERIC),  # item 64: GIT/GUI only bare E
    (CreditsError(-1, "x"), Method.GUI, K.GENERIC),
    (NotificationError("x"), Method.NSC, K.NOTIFICATION),
    (NotificationError("x"), Method.NUS, K.GENERIC),
    (CreditsError(-1, "x"), Method.NUM, K.CREDITS),
    (MyCredits(-1, "x"), Method.MDA, K.CREDITS),
    (CreditsError(-1, "x"), Method.NSC, K.GENERIC),
    (ConflictingSessionError(-1, "x", "S1"), Method.NNS, K.CONFLICTING_SESSION),
    (ConflictingSessionError(-1, "x", "S1"), Method.NNT, K.CREDITS),  # EX only in NNS
    (ConflictingSessionError(-1, "x", "S1"), Method.NTC, K.GENERIC),
]


@pytest.mark.parametrize(("exc", "method", "kind"), CASES)
def test_kind_by_isinstance_and_method(
    exc: BaseException, method: Method, kind: ErrorKind
) -> None:
    assert error_for_exception(exc, method, V1_9_1).kind is kind


def test_resource_unavailable_is_access_on_1_8() -> None:  # item 57
    info = error_for_exception(ResourceUnavailableError("busy"), Method.NUS, V1_8_3)
    assert info == ErrorInfo(K.ACCESS, "busy")


def test_credits_extras() -> None:  # item 58
    assert error_for_exception(CreditsError(-3, "m"), Method.NUS, V1_9_1) == ErrorInfo(
        K.CREDITS, "m", client_code=-3, client_message=None
    )
    assert error_for_exception(CreditsError(0, "m", "u"), Method.NNT, V1_9_1) == ErrorInfo(
        K.CREDITS, "m", client_code=0, client_message="u"
    )


def test_conflicting_session_extras() -> None:
    exc = ConflictingSessionError(-1, "m", "S2", "go away")
    assert error_for_exception(exc, Method.NNS, V1_9_1) == ErrorInfo(
        K.CONFLICTING_SESSION, "m", client_code=-1, client_message="go away",
        conflicting_session_id="S2",
    )


def test_non_integer_client_code_falls_back_to_zero() -> None:
    exc = CreditsError("abc", "m")  # type: ignore[arg-type]
    assert error_for_exception(exc, Method.NUS, V1_9_1).client_code == 0


def test_failing_str_never_raises() -> None:  # bug B14
    assert describe_exception(BadStr()) == "BadStr"
    assert error_for_exception(BadStr(), Method.SUB, V1_9_1) == ErrorInfo(K.GENERIC, "BadStr")


def test_empty_message_uses_class_name() -> None:
    assert describe_exception(RuntimeError()) == "RuntimeError"
