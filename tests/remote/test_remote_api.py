"""The remote control on a real headless seedbox and a real engine: a qBittorrent-API client script (plain httpx,
written from qBittorrent's documentation) logs in, adds a torrent, reads its progress, pauses and deletes it; wrong
passwords are rate-limited; no call works without a session; another site's page and a foreign Host are refused;
categories and tags made remotely are the engine's."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.engine import Engine, EngineSettings
from app.remote.api import RemoteApi
from app.remote.auth import FailureBook, save_credentials
from app.remote.server import RemoteServer
from tests.engine.helpers import make_torrent, wait_snapshot, wait_until, write_payload
from tests.support.net import loopback_address

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"


def test_a_qbittorrent_client_script_drives_the_headless_seedbox(tmp_path: Path) -> None:
    content = tmp_path / "seed" / "Remote Album"
    write_payload(content, {"song.flac": 300_000})
    torrent = tmp_path / "album.torrent"
    torrent.write_bytes(make_torrent(content))
    seeder_address = loopback_address()
    seeder = Engine(EngineSettings.for_loopback_tests(seeder_address), tmp_path / "seeder")
    seeder.start()
    try:
        seed_id = seeder.add_torrent_bytes(torrent.read_bytes(), content.parent)
        wait_snapshot(seeder, seed_id, lambda s: s.progress >= 1.0, 30, "seeder checked")
        env = {**os.environ, "BUNDLECAST_HOME": str(tmp_path / "home")}
        state = tmp_path / "home-state"
        common = [sys.executable, "-m", "app", "--headless", "--state-dir", str(state)]
        setup = subprocess.run([*common, "--set-webui-password"], input=PASSWORD + "\n", cwd=REPO, env=env,
                               capture_output=True, text=True, timeout=60, check=False)
        assert setup.returncode == 0, setup.stderr
        assert PASSWORD not in (state / "webui.json").read_text()  # only the argon2 hash
        address = loopback_address()
        seedbox = subprocess.Popen(
            [*common, "--json", "--test-network", address, "--webui", "127.0.0.1:0",
             "--download-dir", str(tmp_path / "downloads"),
             "--peer", f"{seeder_address}:{seeder.listen_port}"],
            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        try:
            url = _remote_url(seedbox)
            assert url.startswith("http://127.0.0.1:")
            client = subprocess.run([sys.executable, str(REPO / "tests/remote/qbt_client.py"), url, "admin",
                                     PASSWORD, str(torrent)], capture_output=True, text=True, timeout=120,
                                    check=False)
            assert client.returncode == 0, client.stdout + client.stderr
            assert client.stdout.splitlines() == ["logged in 2.9.3", "added", "progress 1.0 Remote Album", "paused",
                                                  "deleted"]
            assert not (tmp_path / "downloads" / "Remote Album").exists()  # deleted with its files
        finally:
            seedbox.send_signal(signal.SIGINT)
            seedbox.communicate(timeout=30)
    finally:
        seeder.shutdown()


def _remote_url(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    for _ in range(200):
        line = process.stdout.readline()
        if not line:
            break
        event = json.loads(line)
        if event["event"] == "remote":
            return str(event["url"])
    raise AssertionError("the seedbox never said where its remote control is")


@pytest.fixture
def remote(tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    engine = Engine(EngineSettings.for_loopback_tests(loopback_address()), tmp_path / "state")
    engine.start()
    api = RemoteApi(engine, save_credentials(tmp_path / "state", "admin", PASSWORD), tmp_path / "downloads",
                    failures=FailureBook(max_failures=5, ban_seconds=600))
    server = RemoteServer(api, "127.0.0.1", 0)
    server.start()
    yield server.url, engine
    server.stop()
    engine.shutdown()


def test_wrong_passwords_are_rate_limited(remote: tuple[str, Engine]) -> None:
    url, _ = remote
    with httpx.Client(base_url=url) as client:
        for _ in range(5):
            assert client.post("/api/v2/auth/login", data={"username": "admin", "password": "guess"}).text == "Fails."
        banned = client.post("/api/v2/auth/login", data={"username": "admin", "password": PASSWORD})
        assert banned.status_code == 403 and "banned" in banned.text
        assert "SID" not in client.cookies


@pytest.mark.parametrize("path", ["/api/v2/torrents/info", "/api/v2/transfer/info", "/api/v2/torrents/categories",
                                  "/api/v2/torrents/tags", "/api/v2/app/version", "/api/v2/torrents/properties"])
def test_no_read_works_without_a_session(remote: tuple[str, Engine], path: str) -> None:
    url, _ = remote
    assert httpx.get(url + path).status_code == 403
    assert httpx.get(url + path, cookies={"SID": "made-up"}).status_code == 403


@pytest.mark.parametrize("path", ["torrents/add", "torrents/pause", "torrents/resume", "torrents/delete",
                                  "torrents/createCategory", "torrents/createTags", "auth/logout"])
def test_no_change_works_without_a_session(remote: tuple[str, Engine], path: str) -> None:
    url, engine = remote
    answer = httpx.post(f"{url}/api/v2/{path}", data={"hashes": "all", "category": "X", "tags": "x",
                                                       "urls": "magnet:?xt=urn:btih:" + "ab" * 20})
    assert answer.status_code == 403
    assert engine.torrent_ids() == [] and engine.labels.current().categories == {}


def test_another_sites_page_a_foreign_host_and_a_closed_session_are_refused(remote: tuple[str, Engine]) -> None:
    url, engine = remote
    with httpx.Client(base_url=url) as client:
        assert client.post("/api/v2/auth/login", data={"username": "admin", "password": PASSWORD}).text == "Ok."
        forged = client.post("/api/v2/torrents/createCategory", data={"category": "Evil"},
                             headers={"Origin": "http://evil.example"})
        assert forged.status_code == 401
        rebinding = client.get("/api/v2/torrents/info", headers={"Host": "evil.example:80"})
        assert rebinding.status_code == 400
        assert client.post("/api/v2/torrents/createCategory", data={"category": "Films"}).status_code == 200
        assert client.post("/api/v2/torrents/createTags", data={"tags": "hd,new"}).status_code == 200
        assert client.get("/api/v2/torrents/categories").json() == {"Films": {"name": "Films", "savePath": ""}}
        assert client.get("/api/v2/torrents/tags").json() == ["hd", "new"]
        assert "Evil" not in engine.labels.current().categories and "Films" in engine.labels.current().categories
        page = client.get("/")
        assert page.status_code == 200 and "<form id=\"login\">" in page.text
        client.post("/api/v2/auth/logout")
        assert client.get("/api/v2/torrents/info").status_code == 403


def test_properties_of_an_unknown_torrent_and_transfer_info(remote: tuple[str, Engine]) -> None:
    url, engine = remote
    with httpx.Client(base_url=url) as client:
        client.post("/api/v2/auth/login", data={"username": "admin", "password": PASSWORD})
        assert client.get("/api/v2/torrents/properties", params={"hash": "00" * 20}).status_code == 404
        info = client.get("/api/v2/transfer/info").json()
        assert info["connection_status"] == "connected" and info["dht_nodes"] == 0
        magnet = "magnet:?xt=urn:btih:" + "cd" * 20 + "&dn=Remote"
        assert client.post("/api/v2/torrents/add", data={"urls": magnet, "paused": "true"}).text == "Ok."
        wait_until(lambda: engine.has_torrent("cd" * 20), 10, "the magnet added")
        entry = client.get("/api/v2/torrents/info", params={"filter": "paused"}).json()
        assert [t["hash"] for t in entry] == ["cd" * 20] and entry[0]["state"] == "pausedDL"
