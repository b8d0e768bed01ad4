"""A small TCP proxy (threads and sockets) that can cut a connection in the middle of an exchange.

``TcpProxy(host, port)`` listens on 127.0.0.1 and forwards every connection to ``host:port`` byte
for byte. ``cut_once(...)`` arms one cut: once the client has sent ``marker`` for the
``occurrence``-th time on a connection (for IMAP, e.g. the second ``BODY.PEEK[]`` FETCH), the
proxy forwards ``server_bytes`` more bytes of the server's answer and then closes both sides, as a
dropped line or a dying server would. The cut fires once; later connections pass untouched.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from dataclasses import dataclass


@dataclass
class Cut:
    marker: bytes
    occurrence: int
    server_bytes: int


class _Connection:
    def __init__(self, proxy: TcpProxy, client: socket.socket, server: socket.socket) -> None:
        self.proxy = proxy
        self.client = client
        self.server = server
        self.lock = threading.Lock()
        self.cut = proxy._take_cut()  # a connection opened while a cut is armed may be the one cut
        self.seen = 0  # how often the client sent the marker
        self.tail = b""  # the end of what the client sent, for a marker split across reads
        self.budget: int | None = None  # server bytes still to forward before the cut
        self.closed = False

    def start(self) -> None:
        for target in (self._client_to_server, self._server_to_client):
            threading.Thread(target=target, daemon=True).start()

    def _client_to_server(self) -> None:
        while True:
            try:
                data = self.client.recv(65536)
            except OSError:
                data = b""
            if not data:
                self.close()
                return
            with self.lock:
                if self.cut is not None and self.budget is None:
                    window = self.tail + data
                    self.seen += window.count(self.cut.marker)
                    self.tail = window[-(len(self.cut.marker) - 1) :] if len(self.cut.marker) > 1 else b""
                    if self.seen >= self.cut.occurrence:
                        self.budget = self.cut.server_bytes  # armed before the command reaches the server
            try:
                self.server.sendall(data)
            except OSError:
                self.close()
                return

    def _server_to_client(self) -> None:
        while True:
            try:
                data = self.server.recv(65536)
            except OSError:
                data = b""
            if not data:
                self.close()
                return
            cut_now = False
            with self.lock:
                if self.budget is not None:
                    data, cut_now = data[: self.budget], len(data) >= self.budget
                    self.budget -= len(data)
            try:
                if data:
                    self.client.sendall(data)
            except OSError:
                self.close()
                return
            if cut_now:
                self.proxy._record_cut()
                self.close()
                return

    def close(self) -> None:
        with self.lock:
            if self.closed:
                return
            self.closed = True
        for sock in (self.client, self.server):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


class TcpProxy:
    """Forwards 127.0.0.1:``port`` to ``target_host:target_port``."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.cuts = 0  # connections cut so far
        self.connections = 0
        self._armed: Cut | None = None
        self._open: list[_Connection] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> TcpProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def cut_once(self, *, marker: bytes, occurrence: int, server_bytes: int) -> None:
        """Cut the next connection that sends ``marker`` ``occurrence`` times, ``server_bytes``
        into the server's answer to it."""
        with self._lock:
            self._armed = Cut(marker, occurrence, server_bytes)

    def _take_cut(self) -> Cut | None:
        with self._lock:
            return self._armed

    def _record_cut(self) -> None:
        with self._lock:
            self.cuts += 1
            self._armed = None

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:  # the listener was closed: the proxy stops
                return
            try:
                server = socket.create_connection(self.target, timeout=10)
                server.settimeout(None)
            except OSError:
                client.close()
                continue
            connection = _Connection(self, client, server)
            with self._lock:
                self.connections += 1
                self._open.append(connection)
            connection.start()

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
        self.listener.close()
        self._thread.join(timeout=5)
        with self._lock:
            connections, self._open = self._open, []
        for connection in connections:
            connection.close()
