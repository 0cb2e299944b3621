"""A Metadata Adapter that keeps one session per user and can remove subscriptions.

Used by the "Close sessions and subscriptions from the Metadata side" guide, whose
doctests run it against the Proxy simulator.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future
from typing import Any

from lightstreamer_adapter.interfaces.metadata import (
    MetadataControlListener,
    MetadataProvider,
    TableInfo,
)

LOG = logging.getLogger("one_session_per_user")


class OneSessionPerUser(MetadataProvider):
    """Closes a user's older session when the user opens a new one."""

    def __init__(self) -> None:
        self.control: MetadataControlListener | None = None
        self.lock = threading.Lock()
        self.session_of_user: dict[str | None, str] = {}
        self.tables: dict[tuple[str, int], TableInfo] = {}

    def set_listener(self, listener: MetadataControlListener) -> None:
        self.control = listener

    def notify_new_session(
        self, user: str | None, session_id: str, client_context: dict[str, str | None]
    ) -> None:
        with self.lock:
            previous = self.session_of_user.get(user)
            self.session_of_user[user] = session_id
        if previous is not None and self.control is not None:
            future = self.control.force_session_termination(
                previous, -2, "You opened a session elsewhere"
            )
            future.add_done_callback(self._log_outcome)

    def notify_session_close(self, session_id: str) -> None:
        with self.lock:
            for user, current in list(self.session_of_user.items()):
                if current == session_id:
                    del self.session_of_user[user]
            for key in [key for key in self.tables if key[0] == session_id]:
                del self.tables[key]

    @staticmethod
    def _log_outcome(future: Future[Any]) -> None:
        # Runs on the server's reader thread: just log.
        if future.exception() is not None:
            LOG.warning("Could not close the older session: %s", future.exception())

    def wants_tables_notification(self, user: str | None) -> bool:
        return True

    def notify_new_tables(
        self, user: str | None, session_id: str, tables: list[TableInfo]
    ) -> None:
        with self.lock:
            for table in tables:
                self.tables[session_id, table.win_index] = table

    def enable_table_unsubscription(self, session_id: str, tables: list[TableInfo]) -> bool:
        return True

    def notify_tables_close(self, session_id: str, tables: list[TableInfo]) -> None:
        with self.lock:
            for table in tables:
                self.tables.pop((session_id, table.win_index), None)

    def remove_table(self, session_id: str, win_index: int) -> Future[bool]:
        """Ask the Server to remove a subscription, e.g. on an administrator's command."""
        with self.lock:
            table = self.tables[session_id, win_index]
        assert self.control is not None
        return self.control.force_unsubscription(session_id, table)
