"""A tiny SOCKS5 proxy on a loopback address for engine tests: username/password authentication (RFC 1929) and
CONNECT (RFC 1928), relaying TCP both ways; UDP ASSOCIATE and BIND are refused.

It records what a test needs to see: every authentication attempt (user, accepted?) and every CONNECT target
(host, port) of an authenticated client. A client that offers no username/password method, or the wrong
credentials, is refused and its connection closed. Runs on threads of its own; ``running_socks5(user, password)``
yields it (``host``, ``port``, ``logins``, ``connects``) and stops it when the block ends.
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from tests.support.net import loopback_address


@dataclass
class Socks5Log:
    logins: list[tuple[str, bool]] = field(default_factory=list)  # (user, accepted)
    connects: list[tuple[str, int]] = field(default_factory=list)  # (host, port) asked by an authenticated client
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass
class Socks5Proxy:
    host: str
    port: int
    log: Socks5Log

    @property
    def logins(self) -> list[tuple[str, bool]]:
        with self.log.lock:
            return list(self.log.logins)

    @property
    def connects(self) -> list[tuple[str, int]]:
        with self.log.lock:
            return list(self.log.connects)


def _read(sock: socket.socket, count: int) -> bytes:
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise ConnectionError("client went away")
        data += chunk
    return data


def _reply(code: int, bound: tuple[str, int] = ("0.0.0.0", 0)) -> bytes:
    return struct.pack("!BBBB4sH", 5, code, 0, 1, socket.inet_aton(bound[0]), bound[1])


class _Handler(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        client: socket.socket = self.request
        client.settimeout(30)
        with contextlib.suppress(OSError, ConnectionError):
            if not self._authenticate(client):
                return
            target = self._connect(client)
            if target is not None:
                self._relay(client, target)

    def _authenticate(self, client: socket.socket) -> bool:
        version, count = _read(client, 2)
        methods = _read(client, count)
        if version != 5 or 2 not in methods:
            client.sendall(b"\x05\xff")  # no acceptable method: only username/password is offered here
            return False
        client.sendall(b"\x05\x02")
        _subversion, user_length = _read(client, 2)
        user = _read(client, user_length).decode()
        (password_length,) = _read(client, 1)
        password = _read(client, password_length).decode()
        accepted = (user, password) == (self.server.user, self.server.password)
        with self.server.log.lock:
            self.server.log.logins.append((user, accepted))
        client.sendall(b"\x01" + (b"\x00" if accepted else b"\x01"))
        return accepted

    def _connect(self, client: socket.socket) -> socket.socket | None:
        _version, command, _reserved, kind = _read(client, 4)
        if kind == 1:
            host = socket.inet_ntop(socket.AF_INET, _read(client, 4))
        elif kind == 3:
            host = _read(client, _read(client, 1)[0]).decode()
        else:
            host = socket.inet_ntop(socket.AF_INET6, _read(client, 16))
        (port,) = struct.unpack("!H", _read(client, 2))
        if command != 1:
            client.sendall(_reply(7))  # command not supported (UDP ASSOCIATE, BIND)
            return None
        if not host.startswith("127."):  # loopback only, whatever a client asks
            client.sendall(_reply(2))
            return None
        with self.server.log.lock:
            self.server.log.connects.append((host, port))
        try:
            target = socket.create_connection((host, port), timeout=10, source_address=(self.server.host, 0))
        except OSError:
            client.sendall(_reply(5))  # connection refused
            return None
        client.sendall(_reply(0, target.getsockname()[:2]))  # where the proxy's connection leaves from
        return target

    @staticmethod
    def _relay(client: socket.socket, target: socket.socket) -> None:
        def pump(source: socket.socket, sink: socket.socket) -> None:
            with contextlib.suppress(OSError):
                while data := source.recv(65536):
                    sink.sendall(data)
            with contextlib.suppress(OSError):
                sink.shutdown(socket.SHUT_WR)

        client.settimeout(None)
        target.settimeout(None)
        back = threading.Thread(target=pump, args=(target, client), daemon=True)
        back.start()
        pump(client, target)
        back.join(60)
        target.close()


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, host: str, user: str, password: str) -> None:
        self.host, self.user, self.password = host, user, password
        self.log = Socks5Log()
        super().__init__((host, 0), _Handler)


@contextlib.contextmanager
def running_socks5(user: str, password: str) -> Iterator[Socks5Proxy]:
    server = _Server(loopback_address(), user, password)
    thread = threading.Thread(target=server.serve_forever, name="socks5", daemon=True)
    thread.start()
    try:
        yield Socks5Proxy(server.host, server.server_address[1], server.log)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
