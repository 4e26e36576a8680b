"""A paced seeder for streaming tests and the benchmark: a plain libtorrent seeder behind a shaping TCP proxy.

libtorrent's own rate limiter is bursty at ~2 MB/s (nothing for a second, then a burst — FIELD-NOTES), which
is not what a slow peer looks like to a player. So the seeder runs unlimited on its own loopback address and a
small proxy in front of it paces the seeder→leecher direction smoothly (16 KiB at a time, a send clock at
the chosen rate). The leecher is told only the proxy's address. The seeder is plain libtorrent on purpose: it
is the far side of the swarm, not the code under test. Threads: libtorrent's own, one accept thread and two
pump threads per proxied connection.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from pathlib import Path

import libtorrent as lt

from tests.support.plain_libtorrent import loopback_session_settings
from tests.support.waiting import wait_until

PIECE_SIZE = 256 * 1024
LINK_BUFFER = 64 * 1024


def make_torrent(content_dir: Path, name: str) -> bytes:
    """A hybrid torrent of the folder ``content_dir/name`` with 256 KiB pieces (as the store publishes)."""
    creator = lt.create_torrent(lt.list_files(str(content_dir / name)), PIECE_SIZE)
    lt.set_piece_hashes(creator, str(content_dir))
    return bytes(lt.bencode(creator.generate()))


def file_layout(torrent: bytes) -> tuple[int, dict[str, int]]:
    """How many files the torrent has (hybrid torrents add pad files) and the index of each real file by
    its path inside the top folder ('/'-separated, as the manifest names it)."""
    files = lt.torrent_info(lt.bdecode(torrent)).layout()
    indexes = {}
    for index in range(files.num_files()):
        if not files.file_flags(index) & lt.file_storage.flag_pad_file:
            indexes[files.file_path(index).replace("\\", "/")] = index
    return files.num_files(), indexes


class Seeder:
    """A libtorrent session seeding one torrent from ``content_dir`` on ``address``."""

    def __init__(self, address: str, torrent: bytes, content_dir: Path) -> None:
        self.address = address
        pack = loopback_session_settings(
            address,
            alert_mask=0,
            # Keep the seeder's queue in libtorrent (where requests are served in order), not in the kernel.
            send_socket_buffer_size=LINK_BUFFER,
            send_buffer_watermark=LINK_BUFFER,
            send_buffer_low_watermark=LINK_BUFFER // 4,
        )
        self._session = lt.session(pack)
        params = lt.add_torrent_params()
        params.ti = lt.torrent_info(lt.bdecode(torrent))
        params.save_path = str(content_dir)
        params.flags = lt.torrent_flags.seed_mode  # the files are ours and complete: no hash check
        self._handle = self._session.add_torrent(params)
        wait_until(lambda: self._session.listen_port() != 0, 30, "the seeder to listen")

    @property
    def port(self) -> int:
        return int(self._session.listen_port())

    def close(self) -> None:
        self._session.remove_torrent(self._handle)
        del self._session


class ShapingProxy:
    """TCP proxy on ``address`` to ``target``; the target→client direction is paced at ``rate`` bytes/s."""

    CHUNK = 16 * 1024

    def __init__(self, address: str, target: tuple[str, int], rate: int) -> None:
        self.rate = rate
        self._target = target
        self._listener = socket.create_server((address, 0))
        self.address = address
        self.port = int(self._listener.getsockname()[1])
        self._sockets: list[socket.socket] = []
        self.connections = 0  # accepted so far
        self._closed = threading.Event()
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, name="shaping-proxy", daemon=True).start()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self._target, timeout=10)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            # Small socket buffers: a paced link holds ~0.1 s in flight, not the megabytes loopback
            # autotuning allows — bytes stuck in a deep pipe would make every seek wait for stale data.
            for sock in (client, upstream):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, LINK_BUFFER)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, LINK_BUFFER)
            with self._lock:
                self._sockets += [client, upstream]
                self.connections += 1
            threading.Thread(target=self._pump, args=(client, upstream, 0), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, self.rate), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, rate: int) -> None:
        clock = time.monotonic()
        try:
            while True:
                data = source.recv(self.CHUNK)
                if not data:
                    break
                if rate:
                    # A send clock: each chunk may leave only when the previous ones have "drained" at rate.
                    clock = max(clock, time.monotonic() - 0.05) + len(data) / rate
                    delay = clock - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._closed.set()
        self._listener.close()
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.close()
