"""IP blocklists: both file formats read, junk lines skipped, a broken file refused with a sentence — and a real
libtorrent peer on a blocklisted loopback address is refused while another seed serves the whole download."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.engine import Engine, EngineSettings
from app.engine.blocklist import BlocklistError, parse_blocklist, read_blocklist
from tests.engine.helpers import make_torrent, wait_snapshot, wait_until, write_payload
from tests.support.net import loopback_address


def test_emule_and_p2p_lines_are_read_and_junk_is_skipped() -> None:
    text = "\n".join([
        "# comment",
        "001.002.003.000 - 001.002.003.255 , 000 , Some range",
        "010.000.000.000 - 010.000.000.255 , 200 , allowed (access >= 128)",
        "Bad people:5.6.7.8-5.6.7.20",
        "this line is junk",
        "",
    ])
    blocklist = parse_blocklist(text)
    assert blocklist.ranges == (("1.2.3.0", "1.2.3.255"), ("5.6.7.8", "5.6.7.20"))
    assert blocklist.skipped_lines == 1


def test_a_file_with_nothing_usable_is_refused_with_a_sentence(tmp_path: Path) -> None:
    junk = tmp_path / "list.dat"
    junk.write_bytes(b"\x00\xffnot a list\nat all\n")
    with pytest.raises(BlocklistError, match="holds no address ranges"):
        read_blocklist(junk)
    with pytest.raises(BlocklistError, match="Cannot read the blocklist"):
        read_blocklist(tmp_path / "missing.dat")


def test_a_blocklisted_loopback_peer_is_refused(tmp_path: Path) -> None:
    content = tmp_path / "seed" / "Shared"
    write_payload(content, {"data.bin": 400_000})
    torrent = make_torrent(content)
    addresses = [loopback_address() for _ in range(3)]
    blocked, allowed, leecher = (
        Engine(EngineSettings.for_loopback_tests(address), tmp_path / f"state-{i}")
        for i, address in enumerate(addresses)
    )
    for engine in (blocked, allowed, leecher):
        engine.start()
    try:
        ids = [seed.add_torrent_bytes(torrent, content.parent) for seed in (blocked, allowed)]
        for seed, tid in zip((blocked, allowed), ids, strict=True):
            wait_snapshot(seed, tid, lambda s: s.progress >= 1.0, 30, "seed checked")
        blocklist_file = tmp_path / "ipfilter.dat"
        blocklist_file.write_text(f"{addresses[0]} - {addresses[0]} , 000 , the blocked seed\n", encoding="utf-8")
        leecher.set_blocklist(read_blocklist(blocklist_file))
        tid = leecher.add_torrent_bytes(torrent, tmp_path / "downloads")
        leecher.connect_peer(tid, addresses[0], blocked.listen_port or 0)  # dialed first: refused
        leecher.connect_peer(tid, addresses[1], allowed.listen_port or 0)
        wait_snapshot(leecher, tid, lambda s: s.progress >= 1.0, 60, "download from the allowed seed")
        assert (tmp_path / "downloads" / "Shared" / "data.bin").read_bytes() == (content / "data.bin").read_bytes()
        wait_until(lambda: allowed.snapshot(ids[1]).total_uploaded > 0, 10, "the allowed seed's upload counted")
        assert blocked.snapshot(ids[0]).total_uploaded == 0
        assert blocked.snapshot(ids[0]).num_peers == 0
        assert all(not peer.address.startswith(addresses[0] + ":") for peer in leecher.peers(tid))
    finally:
        for engine in (blocked, allowed, leecher):
            engine.shutdown()
