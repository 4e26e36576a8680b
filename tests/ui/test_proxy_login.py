"""The SOCKS5 proxy's login through the window: typed in Settings, the password goes to the real keyring (never to
settings.json) and to the engine, which downloads through a loopback SOCKS5 proxy that demands it; after a restart
(a new engine and window over the same config) the password comes back from the keyring and the proxy accepts the
new engine's login."""

from __future__ import annotations

import contextlib
import uuid
from pathlib import Path

import keyring
import libtorrent as lt

from app.engine import Engine, EngineSettings
from app.settings import SettingsStore
from app.store.proxy_password import ProxyPasswords
from app.ui.desktop import Desktop, DesktopConfig
from tests.engine.helpers import wait_snapshot, write_payload
from tests.support.net import loopback_address
from tests.support.socks5 import running_socks5
from tests.support.tiny_tracker import running_tracker
from tests.ui.conftest import start_engine

USER, PASSWORD = "fan", "correct horse battery"


def _torrent(content: Path, tracker: str) -> bytes:
    creator = lt.create_torrent(lt.list_files(str(content), lambda _p: True), 16384, flags=lt.create_torrent.v1_only)
    creator.add_tracker(tracker)
    lt.set_piece_hashes(creator, str(content.parent))
    return bytes(lt.bencode(creator.generate()))


def _start(home: Path, state: Path, address: str) -> tuple[Engine, EngineSettings]:
    """An engine as app.main builds one: the saved settings over a base (here: one loopback address)."""
    base = EngineSettings.for_loopback_tests(address)
    engine = Engine(SettingsStore(home / "config").load().engine_settings(base), state)
    engine.start()
    return engine, base


def _desktop(home: Path, engine: Engine, base: EngineSettings, passwords: ProxyPasswords) -> Desktop:
    store = SettingsStore(home / "config")
    config = DesktopConfig(home / "config", home / "downloads", base, proxy_passwords=passwords)
    return Desktop(engine, store, store.load(), config)  # closed by the test (close() deletes the window)


def test_the_proxy_password_is_kept_in_the_keyring_and_used_after_a_restart(qtbot, tmp_path: Path) -> None:
    service = f"bundlecast-proxy-uitest-{uuid.uuid4().hex[:10]}"
    passwords = ProxyPasswords(service)
    write_payload(tmp_path / "made" / "One", {"one.bin": 120_000}, seed=1)
    write_payload(tmp_path / "made" / "Two", {"two.bin": 120_000}, seed=2)
    with running_tracker() as tracker, running_socks5(USER, PASSWORD) as proxy:
        seeder_address = loopback_address()
        seeder = start_engine(tmp_path / "seeder", seeder_address)
        engine, base = _start(tmp_path, tmp_path / "state", loopback_address())
        try:
            torrents = [_torrent(tmp_path / "made" / name, tracker.url) for name in ("One", "Two")]
            for torrent in torrents:
                tid = seeder.add_torrent_bytes(torrent, tmp_path / "made")
                wait_snapshot(seeder, tid, lambda s: s.progress >= 1.0, 30, "seeder checked its data")
            desktop = _desktop(tmp_path, engine, base, passwords)
            desktop.start([])
            form = desktop.settings_page.transfer_form
            form.proxy_host.setText(proxy.host)
            form.proxy_port.setValue(proxy.port)
            form.proxy_username.setText(USER)
            form.proxy_password.setText(PASSWORD)
            desktop.settings_page.save_button.click()
            assert form.proxy_password.text() == ""  # not left in the form
            qtbot.waitUntil(lambda: passwords.get(USER) == PASSWORD, timeout=10_000)
            assert PASSWORD not in (tmp_path / "config" / "settings.json").read_text()
            assert SettingsStore(tmp_path / "config").load().proxy_username == USER
            first = engine.add_torrent_bytes(torrents[0], tmp_path / "downloads")
            qtbot.waitUntil(lambda: engine.snapshot(first).progress >= 1.0, timeout=60_000)
            assert (USER, True) in proxy.logins and (USER, False) not in proxy.logins
            assert (seeder_address, seeder.listen_port) in proxy.connects  # the peer connection went through it
            desktop.close()
            engine.shutdown()

            # A restart: a new engine and window over the same config; the password comes from the keyring.
            logins_before = len(proxy.logins)
            engine, base = _start(tmp_path, tmp_path / "state2", loopback_address())
            desktop = _desktop(tmp_path, engine, base, passwords)
            desktop.start([])
            second = engine.add_torrent_bytes(torrents[1], tmp_path / "downloads")
            qtbot.waitUntil(lambda: engine.snapshot(second).progress >= 1.0, timeout=60_000)
            # (until the keyring has answered at start, the proxy may refuse a login: not asserted here)
            assert (USER, True) in proxy.logins[logins_before:]
            desktop.close()
        finally:
            engine.shutdown()
            seeder.shutdown()
            with contextlib.suppress(keyring.errors.KeyringError):
                keyring.delete_password(service, USER)
