"""The loopback stream server over real HTTP: token, Range, 416, newest request wins, decryption in memory."""

from __future__ import annotations

import hashlib
import http.client
import os
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from app.bundle import ContentCipher
from app.engine.errors import UnknownTorrentError
from app.player.decrypting import DecryptingSource
from app.player.server import StreamServer
from app.player.sources import ByteReader, FileSource

SIZE = 3 * 1024 * 1024 + 123


@pytest.fixture(scope="module")
def content(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    data = os.urandom(SIZE)
    path = tmp_path_factory.mktemp("stream") / "movie.mp4"
    path.write_bytes(data)
    return path, data


def _get(url: str, headers: dict[str, str] | None = None, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=20)
    try:
        conn.request(method, parts.path, headers=headers or {})
        response = conn.getresponse()
        body = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body
    finally:
        conn.close()


def test_whole_file_is_served_with_its_length_and_type(server: StreamServer, content: tuple[Path, bytes]) -> None:
    path, data = content
    url = server.register("pilot", FileSource(path, "video/mp4"))
    status, headers, body = _get(url)
    assert status == 200
    assert headers["content-type"] == "video/mp4"
    assert headers["accept-ranges"] == "bytes"
    assert int(headers["content-length"]) == SIZE
    assert hashlib.sha256(body).digest() == hashlib.sha256(data).digest()
    assert server.bytes_sent("pilot") == SIZE


@pytest.mark.parametrize(
    ("range_header", "start", "end"),
    [
        ("bytes=0-0", 0, 1),
        ("bytes=1000-", 1000, SIZE),
        ("bytes=5000-70000", 5000, 70001),
        ("bytes=-500", SIZE - 500, SIZE),
        ("bytes=100-99999999", 100, SIZE),
    ],
)
def test_a_range_gets_206_with_exactly_those_bytes(
    server: StreamServer, content: tuple[Path, bytes], range_header: str, start: int, end: int
) -> None:
    path, data = content
    url = server.register("pilot", FileSource(path, "video/mp4"))
    status, headers, body = _get(url, {"Range": range_header})
    assert status == 206
    assert headers["content-range"] == f"bytes {start}-{end - 1}/{SIZE}"
    assert body == data[start:end]


def test_a_range_past_the_end_gets_416(server: StreamServer, content: tuple[Path, bytes]) -> None:
    path, _ = content
    url = server.register("pilot", FileSource(path))
    status, headers, body = _get(url, {"Range": f"bytes={SIZE}-"})
    assert status == 416
    assert headers["content-range"] == f"bytes */{SIZE}"
    assert body == b""
    assert server.bytes_sent("pilot") == 0


@pytest.mark.parametrize("mangle", ["no-token", "wrong-token", "token-prefix", "other-file"])
def test_a_request_without_the_token_gets_no_byte(
    server: StreamServer, content: tuple[Path, bytes], mangle: str
) -> None:
    path, _ = content
    url = server.register("pilot", FileSource(path))
    base, token, file_id = url.rsplit("/", 2)
    bad = {
        "no-token": f"{base}/{file_id}",
        "wrong-token": f"{base}/{'A' * len(token)}/{file_id}",
        "token-prefix": f"{base}/{token[:-1]}/{file_id}",
        "other-file": f"{base}/{token}/episode",
    }[mangle]
    status, _, body = _get(bad)
    assert status in (403, 404)
    assert body == b""
    assert server.bytes_sent("pilot") == 0


def test_the_server_listens_on_loopback_only(server: StreamServer, content: tuple[Path, bytes]) -> None:
    url = server.register("pilot", FileSource(content[0]))
    assert urlsplit(url).hostname == "127.0.0.1"


def test_head_gives_the_size_without_a_body(server: StreamServer, content: tuple[Path, bytes]) -> None:
    url = server.register("pilot", FileSource(content[0]))
    status, headers, body = _get(url, method="HEAD")
    assert status == 200 and int(headers["content-length"]) == SIZE and body == b""


def test_a_locked_file_is_decrypted_in_memory_at_any_offset(
    server: StreamServer, tmp_path: Path, content: tuple[Path, bytes]
) -> None:
    _, plain = content
    key, nonce = os.urandom(32), os.urandom(16)
    cipher_path = tmp_path / "episode.mp4"
    cipher_path.write_bytes(ContentCipher(key, nonce).encrypt_at(0, plain))
    url = server.register("episode", DecryptingSource(FileSource(cipher_path, "video/mp4"), key, nonce))
    _, _, whole = _get(url)
    assert whole == plain
    # An offset that is not on a 16-byte block boundary needs the counter and the skip right.
    _, _, part = _get(url, {"Range": "bytes=1000003-2000000"})
    assert part == plain[1000003:2000001]


class _BlockingReader:
    """Gives one block, then blocks until closed — a swarm that has nothing more yet."""

    def __init__(self, closed: threading.Event) -> None:
        self._closed = closed
        self._gave = False

    def read(self, n: int) -> bytes:
        if not self._gave:
            self._gave = True
            return b"x" * min(n, 1000)
        self._closed.wait(30)
        return b""

    def close(self) -> None:
        self._closed.set()


class _BlockingSource:
    size = 10_000_000
    content_type = "video/mp4"

    def __init__(self) -> None:
        self.closed_events: list[threading.Event] = []

    def open_at(self, offset: int) -> ByteReader:
        event = threading.Event()
        self.closed_events.append(event)
        return _BlockingReader(event)


def test_the_newest_request_of_a_file_closes_the_older_ones(server: StreamServer) -> None:
    source = _BlockingSource()
    url = server.register("pilot", source)
    parts = urlsplit(url)
    first = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=20)
    first.request("GET", parts.path)
    first_response = first.getresponse()
    assert first_response.read(1000) == b"x" * 1000  # the old reader is now waiting for the swarm
    second = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=20)
    second.request("GET", parts.path, headers={"Range": "bytes=5000000-"})
    second_response = second.getresponse()
    assert second_response.status == 206
    assert second_response.read(1000) == b"x" * 1000
    assert source.closed_events[0].wait(10), "the older reader was not cancelled"
    assert not source.closed_events[1].is_set()
    # The old response ends short of its promised length: the client sees the cut, not made-up bytes.
    with pytest.raises(http.client.IncompleteRead):
        first_response.read()
    first.close()
    second.close()


class _GoneSource:
    size = 1000
    content_type = "video/mp4"

    def open_at(self, offset: int) -> ByteReader:
        raise UnknownTorrentError("This torrent is no longer in the session.")


def test_a_torrent_that_is_gone_gets_503_not_an_empty_success(server: StreamServer) -> None:
    url = server.register("gone", _GoneSource())
    status, _, body = _get(url)
    assert status == 503 and body == b""
