"""``simulate``: play the Proxy Adapters of ``adapters.xml.example`` for your adapters.

The command listens where a Lightstreamer Server configured with
``adapters.xml.example`` would (Metadata on port 6663, Data on port 6661, on
127.0.0.1), waits for your ``adapters.py`` to connect, then does what the Server does
when a client connects and subscribes: initialises both adapters, authenticates a user
(``NUS``), opens a session (``NNS``), resolves the item group and the field schema
(``GIS``, ``GSC``), notifies the subscription (``NNT``, when the adapter asks for it),
forwards client messages (``NUM``), subscribes the items (``SUB``) and prints every
update as it arrives. At the end it unsubscribes and closes the session.
"""

from __future__ import annotations

import argparse
import errno
import ssl
import sys
import time
import uuid
from collections.abc import Sequence
from typing import IO, TypeVar

from ..interfaces.metadata import Mode, TableInfo
from ..testing import (
    AdapterError,
    ClearSnapshot,
    CredentialsRefusedError,
    DataFailure,
    DataProxySimulator,
    DeclareFieldDiffOrder,
    EndOfSnapshot,
    ForceSessionTermination,
    ForceUnsubscription,
    Keepalive,
    MetadataFailure,
    MetadataProxySimulator,
    ProxySimulator,
    SimulatorError,
    Update,
)
from ._common import add_verbose_option, configure_logging, format_values, sigterm_interrupts

__all__ = ["add_parser", "run"]

#: The ports of the Proxy Adapters in adapters.xml.example.
DATA_PORT = 6661
METADATA_PORT = 6663
#: Default seconds to wait for the adapters to connect.
DEFAULT_WAIT = 30.0
#: Timeout of each request to the adapters.
_REQUEST_TIMEOUT = 10.0
#: The adapters_conf id of adapters.xml.example, sent at init.
_ADAPTER_SET = "PYTHON_EXAMPLES"
#: The state code of a listening socket in /proc/net/tcp.
_TCP_LISTEN = "0A"
#: How often the loop looks at the Metadata connection while waiting for data.
_POLL = 0.25


_S = TypeVar("_S", bound=ProxySimulator)


class SimulationError(Exception):
    """The simulation cannot go on; the message says why and what to do."""


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``simulate`` command."""
    parser = commands.add_parser(
        "simulate",
        help="play the Server's Proxy Adapters for your own adapters.py",
        description=(
            "Listen as the Proxy Adapters of adapters.xml.example do (Metadata port "
            f"{METADATA_PORT}, Data port {DATA_PORT}), wait for your adapters to connect, "
            "initialise them, play a client session (authentication, items and fields, "
            "messages) and print the updates of the subscribed items. Start your "
            "adapters.py in another terminal, with the same host and ports."
        ),
        epilog=(
            "example: python -m lightstreamer_adapter simulate --subscribe greetings "
            "--fields message timestamp   (then, in another terminal: python "
            "examples/hello_world.py)"
        ),
    )
    where = parser.add_argument_group("where to listen (as request_reply_port in adapters.xml)")
    where.add_argument("--host", default="127.0.0.1", help="address (default: 127.0.0.1)")
    where.add_argument(
        "--metadata-port",
        type=_port,
        default=METADATA_PORT,
        metavar="PORT",
        help=f"Proxy Metadata Adapter port (default: {METADATA_PORT}; 0: any free port)",
    )
    where.add_argument(
        "--data-port",
        type=_port,
        default=DATA_PORT,
        metavar="PORT",
        help=f"Proxy Data Adapter port (default: {DATA_PORT}; 0: any free port)",
    )
    sides = where.add_mutually_exclusive_group()
    sides.add_argument(
        "--data-only", action="store_true", help="simulate the Data Adapter side only"
    )
    sides.add_argument(
        "--metadata-only", action="store_true", help="simulate the Metadata Adapter side only"
    )

    client = parser.add_argument_group("the simulated client session")
    client.add_argument(
        "--subscribe", nargs="+", default=[], metavar="ITEM", help="items to subscribe"
    )
    client.add_argument(
        "--fields",
        nargs="+",
        metavar="FIELD",
        help="fields to ask for (GSC) and to print (default: every field received)",
    )
    client.add_argument(
        "--mode",
        choices=[m.name for m in Mode],
        default="MERGE",
        help="subscription mode told to the Metadata Adapter (default: MERGE)",
    )
    client.add_argument("--user", help="client user name (NUS; default: none)")
    client.add_argument("--password", help="client password (NUS; default: none)")
    client.add_argument(
        "--message",
        action="append",
        default=[],
        metavar="TEXT",
        help="a client message to send (NUM); repeat for more",
    )

    proxy = parser.add_argument_group("the simulated Proxy Adapters")
    proxy.add_argument(
        "--require-credentials",
        action="append",
        type=_credentials,
        metavar="USER:PASSWORD",
        help="refuse adapters that do not send these remote credentials (auth=Y); "
        "repeat to accept several pairs",
    )
    proxy.add_argument("--tls-cert", metavar="PEM", help="serve TLS with this certificate")
    proxy.add_argument("--tls-key", metavar="PEM", help="private key of --tls-cert")
    proxy.add_argument(
        "--version",
        "--ari-version",
        dest="ari_version",
        default="1.9.1",
        metavar="X.Y.Z",
        help="ARI protocol version offered at init (default: 1.9.1)",
    )
    proxy.add_argument(
        "--keepalive-hint",
        type=int,
        metavar="MS",
        help="keepalive_hint.millis sent at init (default: none)",
    )

    timing = parser.add_argument_group("timing")
    timing.add_argument(
        "--wait",
        type=_positive_float,
        default=DEFAULT_WAIT,
        metavar="S",
        help=f"seconds to wait for the adapters to connect (default: {DEFAULT_WAIT:g})",
    )
    timing.add_argument(
        "--duration",
        type=_positive_float,
        metavar="S",
        help="seconds to print updates, then stop (default: until Ctrl-C)",
    )
    add_verbose_option(parser)
    parser.set_defaults(run=run)


def _port(text: str) -> int:
    port = int(text)
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"not a TCP port: {text}")
    return port


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive: {text}")
    return value


def _credentials(text: str) -> tuple[str, str]:
    user, sep, password = text.partition(":")
    if not sep:
        raise argparse.ArgumentTypeError(f"expected USER:PASSWORD, got {text!r}")
    return user, password


def run(args: argparse.Namespace) -> int:
    """Run the simulation; return the exit status."""
    configure_logging(args.verbose)
    if (args.tls_cert is None) != (args.tls_key is None):
        print("simulate: --tls-cert and --tls-key go together", file=sys.stderr)
        return 2
    simulation = _Simulation(args, sys.stdout)
    try:
        with sigterm_interrupts():
            simulation.run()
    except KeyboardInterrupt:
        simulation.say("Interrupted.")
    except SimulationError as exc:
        print(f"simulate: {exc}", file=sys.stderr)
        return 1
    except (AdapterError, SimulatorError, CredentialsRefusedError, OSError) as exc:
        # OSError includes the TimeoutError and ConnectionError of the simulators.
        print(f"simulate: {exc}", file=sys.stderr)
        return 1
    finally:
        simulation.close()
    simulation.summary()
    return 0


def _cannot_listen(host: str, port: int, side: str, exc: OSError) -> str:
    """The message for a port the simulator cannot listen on, with the fix."""
    option = "--data-port" if side == "Data" else "--metadata-port"
    another = (
        f"choose another port with {option} PORT and give your {side} Adapter server the same port"
    )
    if exc.errno == errno.EACCES:
        return f"port {port} of {host} cannot be opened by this user: {another}."
    if exc.errno != errno.EADDRINUSE:
        return f"cannot listen on {host}:{port} for the Proxy {side} Adapter: {exc}; {another}."
    if _only_lingering(host, port):
        return (
            f"port {port} of {host} is still held by the connections of a simulation that "
            "has just ended (TCP TIME_WAIT): it is released within a minute. Try again "
            f"shortly, or {another}."
        )
    return (
        f"port {port} of {host} is already in use (another simulator, or a Lightstreamer "
        f"Server?): cannot simulate the Proxy {side} Adapter there. Stop whatever listens "
        f"on it, or {another}."
    )


def _only_lingering(host: str, port: int) -> bool:
    """Whether nothing listens on ``port`` (busy only with closing connections).

    Known on Linux only, from ``/proc/net/tcp*``; elsewhere ``False``. The listening
    socket of the simulator lacks ``SO_REUSEADDR``, so the connections of a simulation
    that has just ended (TIME_WAIT) keep its port from being bound again for a while.
    """
    listening = False
    found = False
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table, encoding="ascii") as lines:
                next(lines, None)  # the header
                for line in lines:
                    fields = line.split()
                    if len(fields) < 4 or int(fields[1].rpartition(":")[2], 16) != port:
                        continue
                    found = True
                    listening = listening or fields[3] == _TCP_LISTEN
        except (OSError, ValueError):
            return False
    return found and not listening


class _Simulation:
    """One run of the command."""

    def __init__(self, args: argparse.Namespace, out: IO[str]) -> None:
        self.args = args
        self.out = out
        self.data: DataProxySimulator | None = None
        self.metadata: MetadataProxySimulator | None = None
        self.session_id = f"S{uuid.uuid4().hex[:12]}"
        self.session_open = False
        self.table: TableInfo | None = None
        self.subscribed: list[str] = []
        self.counts: dict[str, int] = {}
        self.started = time.monotonic()

    def say(self, text: str) -> None:
        """Print one line of the log of the simulation."""
        print(text, file=self.out, flush=True)

    # ------------------------------------------------------------------ setup

    def run(self) -> None:
        """Listen, accept, initialise, play the session, print until the end."""
        args = self.args
        ssl_context = self._ssl_context()
        if not args.data_only:
            self.metadata = self._listen(
                MetadataProxySimulator, "Metadata", args.metadata_port, ssl_context
            )
        if not args.metadata_only:
            self.data = self._listen(DataProxySimulator, "Data", args.data_port, ssl_context)
        self._accept_all()
        self._init_all()
        items = list(args.subscribe)
        if self.metadata is not None:
            items = self._client_session(items)
        if self.data is not None:
            self._subscribe(items)
        self._send_messages()
        self._print_until_the_end()
        self._tear_down()
        for side, simulator in self._simulators():
            try:
                simulator.check()
            except SimulatorError as exc:
                raise SimulationError(f"the {side} Adapter broke the protocol: {exc}") from exc

    def _ssl_context(self) -> ssl.SSLContext | None:
        if self.args.tls_cert is None:
            return None
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        try:
            context.load_cert_chain(self.args.tls_cert, self.args.tls_key)
        except (OSError, ssl.SSLError) as exc:
            raise SimulationError(
                f"cannot load the TLS certificate {self.args.tls_cert!r} and key "
                f"{self.args.tls_key!r}: {exc}"
            ) from exc
        return context

    def _listen(
        self,
        kind: type[_S],
        side: str,
        port: int,
        ssl_context: ssl.SSLContext | None,
    ) -> _S:
        host = self.args.host
        try:
            simulator = kind(
                host,
                port,
                ssl_context=ssl_context,
                credentials=self.args.require_credentials,
                timeout=_REQUEST_TIMEOUT,
            )
        except OSError as exc:
            raise SimulationError(_cannot_listen(host, port, side, exc)) from exc
        a_host, a_port = simulator.address
        security = " (TLS)" if ssl_context is not None else ""
        self.say(f"Proxy {side} Adapter listening on {a_host}:{a_port}{security}.")
        return simulator

    def _accept_all(self) -> None:
        args = self.args
        expected = []
        if self.metadata is not None:
            expected.append(f"MetadataProviderServer(..., {self._address(self.metadata)})")
        if self.data is not None:
            expected.append(f"DataProviderServer(..., {self._address(self.data)})")
        self.say(
            f"Waiting up to {args.wait:g} s for your adapters to connect: "
            + " and ".join(expected)
            + "."
        )
        deadline = time.monotonic() + args.wait
        for side, simulator in self._simulators():
            remaining = max(0.001, deadline - time.monotonic())
            try:
                credentials = simulator.accept(timeout=remaining)
            except TimeoutError as exc:
                raise SimulationError(self._never_connected(side, simulator)) from exc
            except CredentialsRefusedError as exc:
                raise SimulationError(
                    f"the {side} Adapter sent wrong remote credentials (user {exc.user!r}) "
                    "and was refused, as a Proxy with auth=Y does: set remote_user and "
                    "remote_password on its server to one of the --require-credentials "
                    "pairs."
                ) from exc
            except SimulatorError as exc:
                raise SimulationError(f"the {side} Adapter connection failed: {exc}") from exc
            sdk = credentials.params.get("SDK")
            user = credentials.params.get("user")
            self.say(
                f"{side} Adapter connected"
                + (f" ({sdk})" if sdk else "")
                + (f", remote user {user!r}" if user is not None else "")
                + "."
            )

    def _never_connected(self, side: str, simulator: ProxySimulator) -> str:
        host, port = simulator.address
        server = "DataProviderServer" if side == "Data" else "MetadataProviderServer"
        return (
            f"no {side} Adapter connected to {host}:{port} within {self.args.wait:g} s. "
            f"Start your adapters.py with {server}(adapter, ({host!r}, {port})), the "
            f"address of a Proxy {side} Adapter declared in adapters.xml with "
            f'<param name="request_reply_port">{port}</param> (as in adapters.xml.example)'
            + (
                "; use --data-only or --metadata-only if your process runs one side only."
                if not (self.args.data_only or self.args.metadata_only)
                else "."
            )
        )

    def _init_all(self) -> None:
        args = self.args
        for side, simulator in self._simulators():
            try:
                if isinstance(simulator, DataProxySimulator):
                    reply = simulator.init(
                        version=args.ari_version,
                        keepalive_hint=args.keepalive_hint,
                        adapter_set=_ADAPTER_SET,
                        data_adapter_name="DEFAULT",
                    )
                else:
                    assert isinstance(simulator, MetadataProxySimulator)
                    reply = simulator.init(
                        version=args.ari_version,
                        keepalive_hint=args.keepalive_hint,
                        adapter_set=_ADAPTER_SET,
                    )
            except AdapterError as exc:
                raise SimulationError(f"the {side} Adapter refused to start: {exc}") from exc
            self.say(f"{side} Adapter initialised (ARI {reply.params.get('ARI.version')}).")

    # ------------------------------------------------------------------ the session

    def _client_session(self, items: list[str]) -> list[str]:
        """NUS, NNS, GIS, GSC, NNT: what the Server asks for a client; return the items."""
        metadata = self.metadata
        assert metadata is not None
        args = self.args
        user = args.user
        try:
            login = metadata.notify_user(user, args.password, {"user-agent": "simulate"})
        except AdapterError as exc:
            self.say(f"NUS  user {user!r}: refused, {exc}.")
            return []
        bandwidth = "unlimited" if login.max_bandwidth == 0 else f"{login.max_bandwidth:g} kbit/s"
        self.say(f"NUS  user {user!r}: allowed (bandwidth {bandwidth}).")
        try:
            session = metadata.notify_new_session(
                user,
                self.session_id,
                {"REMOTE_IP": "127.0.0.1", "USER_AGENT": "simulate", "CLIENT_TYPE": None},
            )
        except AdapterError as exc:
            self.say(f"NNS  session {self.session_id}: refused, {exc}.")
            return []
        self.session_open = True
        ttl = "" if not session.time_to_live else f", time to live {session.time_to_live} s"
        self.say(f"NNS  session {self.session_id}: accepted{ttl}.")
        resolved: list[str] = []
        if items:
            resolved = self._resolve(items, login.wants_tables_notification)
        return resolved

    def _send_messages(self) -> None:
        """NUM: the client messages, once the items are subscribed (a chat echoes them)."""
        metadata = self.metadata
        if metadata is None or not self.session_open:
            return
        for text in self.args.message:
            try:
                metadata.notify_user_message(self.args.user, self.session_id, text)
            except AdapterError as exc:
                self.say(f"NUM  message {text!r}: refused, {exc}.")
            else:
                self.say(f"NUM  message {text!r}: accepted.")

    def _resolve(self, items: list[str], wants_tables: bool) -> list[str]:
        metadata = self.metadata
        assert metadata is not None
        user = self.args.user
        group = " ".join(items)
        try:
            resolved = [i for i in metadata.get_items(user, group, self.session_id).items if i]
        except AdapterError as exc:
            self.say(f"GIS  item group {group!r}: refused, {exc}; nothing to subscribe.")
            return []
        self.say(f"GIS  item group {group!r} -> {' '.join(resolved) or '(no items)'}.")
        if self.args.fields:
            schema = " ".join(self.args.fields)
            try:
                fields = metadata.get_schema(user, group, schema, self.session_id).fields
            except AdapterError as exc:
                self.say(f"GSC  field schema {schema!r}: refused, {exc}; nothing to subscribe.")
                return []
            self.say(f"GSC  field schema {schema!r} -> {' '.join(map(str, fields))}.")
        if wants_tables:
            table = TableInfo(
                1,
                Mode[self.args.mode],
                group,
                " ".join(self.args.fields or []),
                1,
                len(resolved),
                None,
                data_adapter="DEFAULT",
                subscribed_items=resolved,
            )
            try:
                metadata.notify_new_tables(user, self.session_id, [table])
            except AdapterError as exc:
                self.say(f"NNT  subscription refused: {exc}; nothing to subscribe.")
                return []
            self.table = table
            self.say(f"NNT  subscription ({self.args.mode} mode) accepted.")
        return resolved

    def _subscribe(self, items: Sequence[str]) -> None:
        data = self.data
        assert data is not None
        # Pipelined, as the Server does: send every SUB, then collect the replies.
        pending = [(item, data.send_subscribe(item)) for item in items]
        for item, reply in pending:
            try:
                reply.result()
            except AdapterError as exc:
                self.say(f"SUB  {item}: refused, {exc}.")
                continue
            self.subscribed.append(item)
            self.counts[item] = 0
            self.say(f"SUB  {item}: subscribed.")

    # ------------------------------------------------------------------ printing

    def _print_until_the_end(self) -> None:
        duration = self.args.duration
        if duration is None:
            self.say("Printing what the adapters send; Ctrl-C to stop.")
        else:
            self.say(f"Printing what the adapters send for {duration:g} s.")
        self.started = time.monotonic()
        deadline = None if duration is None else self.started + duration
        while True:
            wait = _POLL if deadline is None else min(_POLL, deadline - time.monotonic())
            if wait <= 0:
                return
            self._take_metadata_notifications()
            if self.data is not None:
                self._check_connected("Data", self.data)
                try:
                    message = self.data.next_notification(timeout=wait)
                except TimeoutError:
                    continue
                except ConnectionError as exc:
                    raise SimulationError("the Data Adapter closed its connection.") from exc
                self._print_data(message)
            else:
                assert self.metadata is not None
                self._check_connected("Metadata", self.metadata)
                try:
                    notice = self.metadata.next_notification(timeout=wait)
                except TimeoutError:
                    continue
                except ConnectionError as exc:
                    raise SimulationError("the Metadata Adapter closed its connection.") from exc
                self._print_metadata(notice)

    def _check_connected(self, side: str, simulator: ProxySimulator) -> None:
        if not simulator.connected:
            raise SimulationError(f"the {side} Adapter closed its connection.")

    def _take_metadata_notifications(self) -> None:
        if self.metadata is None or self.data is None:
            return  # without a Data side the Metadata side is waited on directly
        self._check_connected("Metadata", self.metadata)
        for notice in self.metadata.drain():
            self._print_metadata(notice)

    def _print_data(self, message: object) -> None:
        stamp = self._stamp()
        if isinstance(message, Update):
            self.counts[message.item] = self.counts.get(message.item, 0) + 1
            kind = "snapshot" if message.is_snapshot else "update  "
            values = format_values(message.values, self.args.fields)
            self.say(f"{stamp} {kind} {message.item}  {values}")
        elif isinstance(message, EndOfSnapshot):
            self.say(f"{stamp} end of snapshot {message.item}")
        elif isinstance(message, ClearSnapshot):
            self.say(f"{stamp} clear snapshot {message.item}")
        elif isinstance(message, DeclareFieldDiffOrder):
            algorithms = {
                f: None if a is None else [x.name for x in a]
                for f, a in message.algorithms.items()
            }
            self.say(f"{stamp} diff order {message.item}  {algorithms}")
        elif isinstance(message, DataFailure):
            self.say(f"{stamp} DATA ADAPTER FAILURE: {message.message}")
        elif not isinstance(message, Keepalive):
            self.say(f"{stamp} {message!r}")

    def _print_metadata(self, notice: object) -> None:
        stamp = self._stamp()
        if isinstance(notice, MetadataFailure):
            self.say(f"{stamp} METADATA ADAPTER FAILURE: {notice.message}")
        elif isinstance(notice, ForceSessionTermination):
            self.say(f"{stamp} the Metadata Adapter closed session {notice.session_id}")
        elif isinstance(notice, ForceUnsubscription):
            self.say(f"{stamp} the Metadata Adapter forced an unsubscription: {notice!r}")
        elif not isinstance(notice, Keepalive):
            self.say(f"{stamp} {notice!r}")

    def _stamp(self) -> str:
        return f"{time.monotonic() - self.started:7.3f}"

    # ------------------------------------------------------------------ the end

    def _tear_down(self) -> None:
        """Unsubscribe, close the tables and the session, as the Server does."""
        data, metadata = self.data, self.metadata
        if data is not None and data.connected and self.subscribed:
            pending = [(item, data.send_unsubscribe(item)) for item in self.subscribed]
            for item, reply in pending:
                try:
                    reply.result()
                except AdapterError as exc:
                    self.say(f"USB  {item}: refused, {exc}.")
            self.say(f"USB  {' '.join(self.subscribed)}: unsubscribed.")
        if metadata is not None and metadata.connected and self.session_open:
            try:
                if self.table is not None:
                    metadata.notify_tables_close(self.session_id, [self.table])
                metadata.notify_session_close(self.session_id)
            except AdapterError as exc:
                self.say(f"NSC  session {self.session_id}: refused, {exc}.")
            else:
                self.say(f"NSC  session {self.session_id}: closed.")

    def close(self) -> None:
        """Close the simulators (the adapters see the end of their connections)."""
        for simulator in (self.data, self.metadata):
            if simulator is not None:
                simulator.close()

    def summary(self) -> None:
        """Print the updates received per item."""
        if self.data is None:
            return
        total = sum(self.counts.values())
        per_item = ", ".join(f"{item} {count}" for item, count in self.counts.items())
        noun = "update" if total == 1 else "updates"
        self.say(f"Received {total} {noun}" + (f": {per_item}." if per_item else "."))

    # ------------------------------------------------------------------ helpers

    def _simulators(self) -> list[tuple[str, ProxySimulator]]:
        sides: list[tuple[str, ProxySimulator]] = []
        if self.metadata is not None:
            sides.append(("Metadata", self.metadata))
        if self.data is not None:
            sides.append(("Data", self.data))
        return sides

    def _address(self, simulator: ProxySimulator) -> str:
        host, port = simulator.address
        return f"({host!r}, {port})"
