"""The Metadata control listener in isolation: FST, FUS, FAL and their futures.

ARI-PROTOCOL.md §5.5, §5.28, §5.29, §6.8; checklist items 74-80. The end-to-end forms
over a socket are in test_server.py.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future
from typing import Any

import pytest

from lightstreamer_adapter._threading.metadata_server import ControlRequestError, _ControlListener
from lightstreamer_adapter.interfaces.metadata import MetadataControlListener, Mode, TableInfo
from lightstreamer_adapter.protocol.messages import (
    ErrorInfo,
    ErrorKind,
    ForceSessionTermination,
    ForceSessionTerminationReply,
    ForceUnsubscription,
    ForceUnsubscriptionReply,
    MetadataFailure,
    RemoteMessage,
)
from lightstreamer_adapter.protocol.versions import V1_8_3, V1_9_0, V1_9_1

LOG = logging.getLogger("tests.metadata.control")
TABLE = TableInfo(7, Mode.MERGE, "g", "s", 1, 2)


class Sink:
    def __init__(self, accept: bool = True) -> None:
        self.sent: list[RemoteMessage] = []
        self.accept = accept

    def __call__(self, message: RemoteMessage) -> bool:
        if self.accept:
            self.sent.append(message)
        return self.accept


def active(version: Any = V1_9_1) -> tuple[_ControlListener, Sink]:
    sink = Sink()
    listener = _ControlListener(sink, lambda: version, LOG)
    return listener, sink


def test_is_a_metadata_control_listener() -> None:
    assert isinstance(_ControlListener(Sink(), lambda: None, LOG), MetadataControlListener)


def test_force_session_termination_forms_and_completion() -> None:
    listener, sink = active()
    plain = listener.force_session_termination("S1")
    caused = listener.force_session_termination("S2", -5, "Account suspended")
    message_only = listener.force_session_termination("S3", cause_message="bye")
    code_only = listener.force_session_termination("S4", 0)
    assert sink.sent == [
        ForceSessionTermination("64", "S1", None, None),
        ForceSessionTermination("65", "S2", -5, "Account suspended"),
        ForceSessionTermination("66", "S3", 0, "bye"),
        ForceSessionTermination("67", "S4", 0, None),
    ]
    assert not plain.done() and not plain.cancel()  # on its way: not cancellable
    listener.on_reply(ForceSessionTerminationReply("65"))
    assert caused.result(0) is None
    listener.on_reply(ForceSessionTerminationReply("64", ErrorInfo(ErrorKind.GENERIC, "nope")))
    with pytest.raises(ControlRequestError, match="nope") as info:
        plain.result(0)
    assert isinstance(info.value, RuntimeError)
    assert info.value.method == "FST" and info.value.server_message == "nope"
    assert listener.pending_count() == 2
    assert not message_only.done() and not code_only.done()


def test_force_unsubscription_results() -> None:
    listener, sink = active(V1_9_0)
    done = listener.force_unsubscription("S1", TABLE)
    refused = listener.force_unsubscription("S1", TABLE)
    failed = listener.force_unsubscription("S1", TABLE)
    assert sink.sent == [ForceUnsubscription(rid, "S1", 7) for rid in ("64", "65", "66")]
    listener.on_reply(ForceUnsubscriptionReply("65", done=False))
    listener.on_reply(ForceUnsubscriptionReply("64", done=True))
    listener.on_reply(ForceUnsubscriptionReply("66", error=ErrorInfo(ErrorKind.GENERIC, "x")))
    assert done.result(0) is True
    assert refused.result(0) is False
    with pytest.raises(ControlRequestError):
        failed.result(0)
    assert listener.pending_count() == 0


def test_request_ids_are_unique_alphanumeric_and_not_reserved() -> None:
    listener, sink = active()
    for n in range(300):
        listener.force_session_termination(f"S{n}")
    ids = [m.request_id for m in sink.sent]  # type: ignore[union-attr]
    assert len(set(ids)) == 300
    assert all(i.isalnum() and i not in ("0", "1", "2") for i in ids)


def test_unknown_or_mismatched_reply_ids_are_logged_and_ignored(
    caplog: pytest.LogCaptureFixture,
) -> None:
    listener, _ = active()
    fut = listener.force_session_termination("S1")
    with caplog.at_level(logging.WARNING, logger="tests.metadata.control"):
        listener.on_reply(ForceSessionTerminationReply("zz"))
        listener.on_reply(ForceUnsubscriptionReply("64", done=True))  # FUS reply for an FST
    assert caplog.text.count("unknown request id") == 2
    assert not fut.done()
    listener.on_reply(ForceSessionTerminationReply("64"))
    assert fut.result(0) is None


@pytest.mark.parametrize(
    ("args", "exc"),
    [
        (("S", 1), ValueError),
        (("S", True), TypeError),
        (("S", "-1"), TypeError),
        ((None,), TypeError),
        (("S", -1, 5), TypeError),
    ],
)
def test_force_session_termination_argument_errors(args: tuple[Any, ...], exc: type) -> None:
    listener, sink = active()
    with pytest.raises(exc):
        listener.force_session_termination(*args)
    assert sink.sent == []


def test_force_unsubscription_argument_errors() -> None:
    listener, sink = active()
    with pytest.raises(TypeError):
        listener.force_unsubscription("S", 7)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        listener.force_unsubscription(b"S", TABLE)  # type: ignore[arg-type]
    assert sink.sent == []


def test_before_activation_requests_fail_locally() -> None:
    sink = Sink()
    listener = _ControlListener(sink, lambda: None, LOG)
    futures = (listener.force_session_termination("S"), listener.force_unsubscription("S", TABLE))
    for fut in futures:
        with pytest.raises(RuntimeError, match="not initialised"):
            fut.result(0)
    assert sink.sent == []


def test_with_ari_1_8_requests_fail_locally_and_failure_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    listener, sink = active(V1_8_3)
    fut = listener.force_session_termination("S")
    with pytest.raises(RuntimeError, match=r"1\.8\.3"):
        fut.result(0)
    assert not isinstance(fut.exception(0), ConnectionError)
    with caplog.at_level(logging.ERROR, logger="tests.metadata.control"):
        listener.failure(ValueError("db down"))
    assert sink.sent == []
    assert "db down" in caplog.text


def test_failure_in_1_9() -> None:
    listener, sink = active()
    listener.failure(ValueError("Database connection lost"))
    listener.failure(ValueError())
    assert sink.sent == [
        MetadataFailure("Database connection lost"),
        MetadataFailure("ValueError"),
    ]


def test_connection_closed_fails_pending_and_later_requests() -> None:
    listener, sink = active()
    pending = [listener.force_session_termination("S"), listener.force_unsubscription("S", TABLE)]
    eof = EOFError("eof")
    listener.connection_closed(eof)
    for fut in pending:
        with pytest.raises(ConnectionError, match="eof") as info:
            fut.result(0)
        assert info.value.__cause__ is eof
    assert listener.pending_count() == 0
    late = listener.force_unsubscription("S", TABLE)
    with pytest.raises(ConnectionError):
        late.result(0)
    assert len(sink.sent) == 2
    listener.connection_closed(None)  # idempotent


def test_dropped_by_the_transport_fails_with_connection_error() -> None:
    sink = Sink(accept=False)
    listener = _ControlListener(sink, lambda: V1_9_1, LOG)
    with pytest.raises(ConnectionError):
        listener.force_session_termination("S").result(0)
    assert listener.pending_count() == 0


def test_send_raising_fails_the_future() -> None:
    def send(message: RemoteMessage) -> bool:
        raise TimeoutError("buffer full")

    listener = _ControlListener(send, lambda: V1_9_1, LOG)
    with pytest.raises(TimeoutError):
        listener.force_session_termination("S").result(0)
    assert listener.pending_count() == 0


def test_concurrent_requests_and_replies() -> None:
    listener, sink = active()
    futures: list[Future[None]] = []
    lock = threading.Lock()

    def issue() -> None:
        for _ in range(200):
            fut = listener.force_session_termination("S")
            with lock:
                futures.append(fut)

    threads = [threading.Thread(target=issue) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    for message in list(sink.sent):
        listener.on_reply(ForceSessionTerminationReply(message.request_id))  # type: ignore[union-attr]
    assert len(futures) == 800
    assert all(f.result(0) is None for f in futures)
