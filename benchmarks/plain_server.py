"""A reference point, not an SDK: the least a Python Data Adapter can do per update.

:class:`PlainDataServer` has the constructor, ``set_exception_handler``, ``start`` and
``close`` of ``DataProviderServer`` and is its own listener, like both SDKs, so that
``adapter_worker.py`` can drive it with the same adapter code. It answers ``DPI`` and
``SUB``/``USB`` with a bare reader thread, and its ``update()`` only formats the ``UD3``
line with an f-string and writes it with one ``sendall`` under a lock: no validation, no
escaping (the benchmark's values need none), no writer thread, no buffer. It is the
"plain Python loop that formats and sends equivalent lines" of issue 6.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Mapping
from typing import Any


class PlainDataServer:
    """Speaks just enough ARI (RAC, DPI, SUB, USB, UD3) for the update benchmark."""

    def __init__(self, adapter: Any, address: tuple[str, int]) -> None:
        self._adapter = adapter
        self._address = address
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()
        self._sub_ids: dict[str, str] = {}

    def set_exception_handler(self, handler: Any) -> None:
        pass

    def start(self) -> None:
        sock = socket.create_connection(self._address)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.sendall(b"1|RAC|S|enableClosePacket|S|true|S|SDK|S|plain\r\n")
        self._sock = sock
        threading.Thread(target=self._read, daemon=True).start()

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()

    def _read(self) -> None:
        assert self._sock is not None
        for raw in self._sock.makefile("rb"):
            tokens = raw.decode().rstrip("\r\n").split("|")
            request_id, method = tokens[0], tokens[1]
            if method == "DPI":
                self._adapter.initialize({})
                self._adapter.set_listener(self)
                self._write(f"{request_id}|DPI|S|ARI.version|S|1.9.1\r\n")
            elif method == "SUB":
                self._sub_ids[tokens[3]] = request_id
                self._adapter.subscribe(tokens[3])
                self._write(f"{request_id}|SUB|V\r\n")
            elif method == "USB":
                self._adapter.unsubscribe(tokens[3])
                self._sub_ids.pop(tokens[3], None)
                self._write(f"{request_id}|USB|V\r\n")

    def _write(self, line: str) -> None:
        assert self._sock is not None
        with self._lock:
            self._sock.sendall(line.encode())

    def update(self, item_name: str, item_event: Mapping[str, str], issnapshot: bool) -> None:
        fields = "|".join(f"S|{name}|S|{value}" for name, value in item_event.items())
        self._write(
            f"{int(time.time() * 1000)}|UD3|S|{item_name}|S|{self._sub_ids[item_name]}"
            f"|B|{int(issnapshot)}|{fields}\r\n"
        )
