"""Chat: client messages received by the Metadata Adapter, published by the Data Adapter.

Clients send messages with ``sendMessage``; the Server hands each one to the Metadata
Adapter's :meth:`~lightstreamer_adapter.interfaces.metadata.MetadataProvider.notify_user_message`,
which checks it and forwards it to the Data Adapter running in the same process. The
Data Adapter publishes it on the ``chat_room`` item, with the fields ``user``,
``message`` and ``timestamp``, to every client subscribed.

What it shows:

* A Metadata Adapter and a Data Adapter that cooperate (one process, two servers).
* Refusing a request with the typed errors of the interface: an empty message is a
  ``NotificationError``; a message over the length limit is a ``CreditsError``, whose
  code and user message reach the client.
* Session bookkeeping with ``notify_new_session`` / ``notify_session_close``.
* Item modes: ``chat_room`` is a list of events, subscribed in RAW or DISTINCT mode; in
  DISTINCT mode the Server keeps the last 30 messages as the snapshot for new clients
  (``get_distinct_snapshot_length``), so the Data Adapter sends no snapshot itself.

Run it against a Server configured with ``adapters.xml.example``, or against the
simulator, in two terminals (the simulator can send messages as a client would)::

    python -m lightstreamer_adapter simulate --subscribe chat_room --fields user message \\
        --message "hello everybody"
    python examples/chat.py
"""

from __future__ import annotations

import sys
import threading
import time

from runner import argument_parser, serve

from lightstreamer_adapter.interfaces.data import DataProvider, ItemEventListener, SubscribeError
from lightstreamer_adapter.interfaces.metadata import (
    CreditsError,
    MetadataProvider,
    Mode,
    NotificationError,
)
from lightstreamer_adapter.server import DataProviderServer, MetadataProviderServer

#: The item that carries the messages.
CHAT_ROOM = "chat_room"
#: The longest message accepted, in characters.
MAX_MESSAGE_LENGTH = 500


class ChatDataAdapter(DataProvider):
    """Publishes the messages of the chat room on the ``chat_room`` item."""

    def __init__(self) -> None:
        self._listener: ItemEventListener | None = None
        self._lock = threading.Lock()
        self._subscribed = False

    def initialize(self, parameters: dict[str, str], config_file: str | None = None) -> None:
        """Nothing to prepare."""

    def set_listener(self, event_listener: ItemEventListener) -> None:
        """Keep the listener that sends our events to the Proxy."""
        self._listener = event_listener

    def issnapshot_available(self, item_name: str) -> bool:
        """No snapshot from us: in DISTINCT mode the Server keeps the recent messages."""
        return False

    def subscribe(self, item_name: str) -> None:
        """Accept the chat room; messages are published from now on."""
        if item_name != CHAT_ROOM:
            raise SubscribeError(f"No such item: {item_name!r} (try {CHAT_ROOM!r})")
        with self._lock:
            self._subscribed = True

    def unsubscribe(self, item_name: str) -> None:
        """Nobody listens any more: messages are dropped until the next subscription."""
        with self._lock:
            self._subscribed = False

    def post(self, user: str, message: str) -> bool:
        """Publish a message; return whether anybody was subscribed to receive it."""
        event = {"user": user, "message": message, "timestamp": time.strftime("%H:%M:%S")}
        with self._lock:
            if not self._subscribed or self._listener is None:
                return False
            self._listener.update(CHAT_ROOM, event, False)
            return True


class ChatMetadataAdapter(MetadataProvider):
    """Checks the clients' messages and hands them to the chat Data Adapter.

    Args:
        chat: The Data Adapter that publishes the messages.
    """

    def __init__(self, chat: ChatDataAdapter) -> None:
        self._chat = chat
        self._lock = threading.Lock()
        self._sessions: dict[str, str] = {}  # session id -> user name shown

    def notify_new_session(
        self, user: str | None, session_id: str, client_context: dict[str, str | None]
    ) -> None:
        """Remember who owns the session (anonymous users are shown by address)."""
        name = user or f"guest@{client_context.get('REMOTE_IP') or 'unknown'}"
        with self._lock:
            self._sessions[session_id] = name

    def notify_session_close(self, session_id: str) -> None:
        """Forget the session (the Server may notify a session twice: no error)."""
        with self._lock:
            self._sessions.pop(session_id, None)

    def notify_user_message(self, user: str | None, session_id: str, message: str) -> None:
        """Check a client's message and publish it on the chat room.

        Raises:
            NotificationError: The message is empty.
            CreditsError: The message is too long (the client gets code -1 and a text).
        """
        text = (message or "").strip()
        if not text:
            raise NotificationError(f"Empty chat message from session {session_id}")
        if len(text) > MAX_MESSAGE_LENGTH:
            raise CreditsError(
                -1,
                f"Chat message of {len(text)} characters from session {session_id}",
                f"Messages are limited to {MAX_MESSAGE_LENGTH} characters",
            )
        with self._lock:
            name = self._sessions.get(session_id) or user or "guest"
        self._chat.post(name, text)

    def mode_may_be_allowed(self, item: str, mode: Mode) -> bool:
        """The chat room is a list of events: RAW or DISTINCT mode."""
        if item == CHAT_ROOM:
            return mode in (Mode.RAW, Mode.DISTINCT)
        return True

    def get_distinct_snapshot_length(self, item: str) -> int:
        """New DISTINCT-mode clients get the last 30 messages from the Server."""
        return 30 if item == CHAT_ROOM else 0


def main(argv: list[str] | None = None) -> int:
    """Connect both adapters to the Proxy Adapters and serve until Ctrl-C or SIGTERM."""
    args = argument_parser(__doc__.splitlines()[0]).parse_args(argv)
    chat = ChatDataAdapter()
    metadata_server = MetadataProviderServer(
        ChatMetadataAdapter(chat), (args.host, args.metadata_port)
    )
    data_server = DataProviderServer(chat, (args.host, args.data_port))
    return serve(
        [("chat Metadata Adapter", metadata_server), ("chat Data Adapter", data_server)],
        where=args.host,
    )


if __name__ == "__main__":
    sys.exit(main())
