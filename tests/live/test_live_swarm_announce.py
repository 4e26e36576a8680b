"""The live swarm's tracker announces: bencode answers read strictly, a refusal is a ``TrackerError`` with the
tracker's reason, a chunked answer is read whole, and a tracker that is not there never holds up a broadcast
(``run`` keeps the error and ends at once when stopped). The real store's tracker is in
tests/integration/test_live_broadcast_cli.py."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs, unquote_to_bytes

import pytest

from app.live.blocks import swarm_info_hash
from app.live.swarm_announce import SwarmAnnouncer, TrackerError, bdecode
from tests.support.net import free_port, loopback_address


def test_bencode_answers_are_read_strictly() -> None:
    assert bdecode(b"d8:intervali30e5:peers6:\x7f\x00\x00\x01\x1a\xe1e") == {
        b"interval": 30, b"peers": b"\x7f\x00\x00\x01\x1a\xe1"
    }
    assert bdecode(b"l1:ai-2ee") == [b"a", -2]
    for bad in (b"d8:interval", b"i12", b"5:ab", b"d1:ae", b"i1ei2e", b""):
        with pytest.raises(TrackerError):
            bdecode(bad)


async def _tracker(host: str, answers: list[bytes], seen: list[str]) -> asyncio.Server:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        seen.append(head.split(b" ")[1].decode())
        writer.write(answers.pop(0))
        await writer.drain()
        writer.close()

    return await asyncio.start_server(handle, host, 0)


def test_an_announce_reads_peers_a_chunked_answer_and_a_refusal() -> None:
    host = loopback_address()
    seen: list[str] = []
    peers = b"\x7f\x05\x06\x07\x1f\x90"  # 127.5.6.7:8080
    body = b"d8:intervali20e5:peers6:" + peers + b"e"
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    answers = [
        b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body),
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked,
        b"HTTP/1.1 200 OK\r\n\r\nd14:failure reason20:unregistered torrente",
    ]

    async def scenario() -> None:
        server = await _tracker(host, answers, seen)
        port = server.sockets[0].getsockname()[1]
        announcer = SwarmAnnouncer(f"http://{host}:{port}/announce", b"\x01" * 16, 4321, host, origin=True)
        assert await announcer.announce_once("started") == [("127.5.6.7", 8080)]
        assert announcer.interval_s == 20.0  # at least 15 s whatever the tracker says
        assert await announcer.announce_once() == [("127.5.6.7", 8080)]
        with pytest.raises(TrackerError, match="unregistered torrent"):
            await announcer.announce_once()
        server.close()

    asyncio.run(scenario())
    first = seen[0]
    assert first.startswith("/announce?info_hash=") and "event=started" in first and "left=0" in first
    assert "port=4321" in first and "compact=1" in first
    assert unquote_to_bytes(first.split("info_hash=")[1].split("&")[0]) == swarm_info_hash(b"\x01" * 16)
    assert "left=1" not in first and "event" not in seen[1]
    assert parse_qs(seen[1].split("?", 1)[1])["left"] == ["0"]


def test_a_tracker_that_is_not_there_never_holds_up_the_broadcast() -> None:
    host = loopback_address()
    announcer = SwarmAnnouncer(f"http://{host}:{free_port(host)}/announce", b"\x02" * 16, 4321, host)

    async def scenario() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(announcer.run(stop))
        for _ in range(100):
            if announcer.last_error:
                break
            await asyncio.sleep(0.05)
        stop.set()
        await asyncio.wait_for(task, 5)  # not the 15 s interval, not the 10 s timeout

    asyncio.run(scenario())
    assert announcer.last_error and announcer.announces == 0
    with pytest.raises(TrackerError, match="not an http tracker"):
        SwarmAnnouncer("udp://tracker.example:80", b"\x02" * 16, 1)
