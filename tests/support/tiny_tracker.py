"""A minimal BitTorrent HTTP tracker on 127.0.0.1 for engine tests (BEP 3 announce, BEP 23 compact answers).

It remembers every peer that announced an info-hash and answers each announce with the others; ``stopped``
removes the peer. Any info-hash is accepted (the store's own tracker only knows its bundles). Asked to, it answers
every announce with a "failure reason" instead. Runs on a thread of its own; ``running_tracker()`` yields it
(``url``, ``peer_count()``) and stops the server when the block ends.
"""

from __future__ import annotations

import http.server
import socket
import struct
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import libtorrent as lt


class _Swarms:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.peers: dict[str, set[tuple[str, int]]] = {}

    def peer_count(self) -> int:
        """Distinct peers over every swarm (a hybrid torrent announces under both its hashes)."""
        with self.lock:
            return len(set().union(*self.peers.values()))

    def announce(self, info_hash: str, peer: tuple[str, int], event: str) -> bytes:
        with self.lock:
            known = self.peers.setdefault(info_hash, set())
            others = sorted(known - {peer})
            if event == "stopped":
                known.discard(peer)
            else:
                known.add(peer)
        compact = b"".join(socket.inet_aton(host) + struct.pack(">H", port) for host, port in others)
        return bytes(lt.bencode({"interval": 1800, "peers": compact}))


def _handler(swarms: _Swarms, failure_reason: str | None) -> type[http.server.BaseHTTPRequestHandler]:
    class Announce(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query, encoding="latin-1")
            body = self._answer(query)
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _answer(self, query: dict[str, list[str]]) -> bytes:
            if failure_reason is not None:  # a tracker that refuses everyone (a private one, say)
                return bytes(lt.bencode({"failure reason": failure_reason.encode()}))
            try:
                info_hash, port = query["info_hash"][0], int(query["port"][0])
            except (KeyError, ValueError):
                return bytes(lt.bencode({"failure reason": b"info_hash and port are required"}))
            event = query.get("event", [""])[0]
            return swarms.announce(info_hash, (self.client_address[0], port), event)

        def log_message(self, format: str, *args: object) -> None:
            return

    return Announce


@dataclass(frozen=True)
class TinyTracker:
    url: str  # http://127.0.0.1:PORT/announce
    peer_count: Callable[[], int]


@contextmanager
def running_tracker(failure_reason: str | None = None) -> Iterator[TinyTracker]:
    """A tracker on 127.0.0.1; with ``failure_reason`` it answers every announce with that error instead."""
    swarms = _Swarms()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(swarms, failure_reason))
    thread = threading.Thread(target=server.serve_forever, name="tiny-tracker", daemon=True)
    thread.start()
    try:
        yield TinyTracker(f"http://127.0.0.1:{server.server_address[1]}/announce", swarms.peer_count)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
