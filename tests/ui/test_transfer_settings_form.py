"""The Settings page's transfer options: what the form shows is what it saves, and the saved settings become the
engine settings (queue, alternative limits, encryption, connections, SOCKS5 proxy for peers and trackers)."""

from __future__ import annotations

from datetime import time

import libtorrent as lt

from app.engine.session_settings import settings_pack
from app.engine.settings import EncryptionPolicy, EngineSettings
from app.settings import AppSettings
from app.ui.settings_page import SettingsPage


def test_the_form_round_trips_and_maps_onto_the_engine(qtbot) -> None:
    chosen = AppSettings(
        active_downloads=2, active_seeds=7, active_torrents=30, alt_download_rate_limit_kib=100,
        alt_upload_rate_limit_kib=20, alt_schedule_enabled=True, alt_schedule_from="22:30", alt_schedule_to="06:00",
        alt_schedule_days=0b0011111, no_upload_on_metered=False, encryption="forced", connections_limit=123,
        proxy_host="127.0.0.1", proxy_port=9050, blocklist_path="/tmp/list.dat", watched_folder="/tmp/watch",
        watched_folder_delete=True, live_upload_kbps=1500,
    )
    page = SettingsPage(chosen)
    qtbot.addWidget(page)
    assert page.edited_settings() == chosen
    page.transfer_form.days[6].setChecked(True)  # Sunday too
    assert page.edited_settings().alt_schedule_days == 0b1011111

    schedule = chosen.speed_schedule()
    assert (schedule.start, schedule.end, schedule.days) == (time(22, 30), time(6, 0), frozenset(range(5)))
    engine = chosen.engine_settings(EngineSettings(), alternative=True)
    assert (engine.active_downloads, engine.active_seeds, engine.active_limit) == (2, 7, 30)
    assert (engine.download_rate_limit, engine.upload_rate_limit) == (100 * 1024, 20 * 1024)
    assert engine.encryption is EncryptionPolicy.FORCED and engine.connections_limit == 123
    pack = settings_pack(engine)
    assert pack["proxy_type"] == int(lt.proxy_type_t.socks5)
    assert (pack["proxy_hostname"], pack["proxy_port"]) == ("127.0.0.1", 9050)
    assert pack["proxy_peer_connections"] and pack["proxy_tracker_connections"] and pack["proxy_hostnames"]
    assert settings_pack(AppSettings().engine_settings(EngineSettings()))["proxy_type"] == int(lt.proxy_type_t.none)


def test_the_live_upload_cap_is_a_plain_field_whose_zero_means_no_limit(qtbot) -> None:
    page = SettingsPage(AppSettings())
    qtbot.addWidget(page)
    spin = page.transfer_form.live_upload
    assert (spin.value(), spin.text()) == (3000, "3000 kbit/s")  # the default: twice a typical broadcast
    assert "passes it on to other viewers" in page.transfer_form.live_upload_hint.text()
    spin.setValue(0)
    assert spin.text() == "No limit" and page.edited_settings().live_upload_bps() is None
    spin.setValue(-5)  # the field takes no negative cap
    assert spin.value() == 0
    spin.setValue(2500)
    assert page.edited_settings().live_upload_bps() == 2_500_000
