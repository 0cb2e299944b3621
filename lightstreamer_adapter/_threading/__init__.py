"""The thread-based front end: sockets, reader and writer threads, worker pools.

Private: the public names are re-exported by :mod:`lightstreamer_adapter.server`.

* :mod:`.transport` — the connection (reader thread, writer thread with a bounded
  buffer and keepalives);
* :mod:`.pool` — non-daemon worker threads and per-key serial queues;
* :mod:`.base` — :class:`~.base.Server` (lifecycle, init handshake, error handling) and
  :class:`~.base.ExceptionHandler`;
* :mod:`.data_server` — :class:`~.data_server.DataProviderServer`;
* :mod:`.metadata_server` — :class:`~.metadata_server.MetadataProviderServer`.
"""
