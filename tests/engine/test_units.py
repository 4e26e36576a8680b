"""Unit tests of the engine's logic with small fakes: the resume guards, the alert pump, state naming,
the settings mapping and error sentences. (Every feature also has a test through real libtorrent.)"""

from __future__ import annotations

import errno
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import libtorrent as lt
import pytest

from app.engine import EncryptionPolicy, EngineSettings, TorrentState
from app.engine.alert_pump import AlertPump
from app.engine.error_translation import describe_error
from app.engine.registry import Registry, TorrentRecord
from app.engine.resume_keeper import ResumeKeeper
from app.engine.resume_store import ResumeStore, atomic_write, count_pieces
from app.engine.session_settings import settings_pack
from app.engine.snapshots import state_of
from app.engine.torrent_source import params_from_magnet, safe_display_name
from tests.engine.helpers import wait_until

HASH = "ab" * 20


class FakeHandle:
    def __init__(self) -> None:
        self.requests: list[int] = []

    def save_resume_data(self, flags: int) -> None:
        self.requests.append(flags)

    def __hash__(self) -> int:
        return id(self)


@dataclass
class FakeSaveAlert:
    params: Any
    handle: Any


def resume_params(pieces: int, total: int = 8) -> lt.add_torrent_params:
    params = lt.parse_magnet_uri(f"magnet:?xt=urn:btih:{HASH}")
    params.save_path = "/tmp/x"
    params.have_pieces = [i < pieces for i in range(total)]
    return params


@pytest.fixture
def keeper(tmp_path: Path) -> tuple[ResumeKeeper, Registry, ResumeStore, TorrentRecord]:
    registry = Registry()
    store = ResumeStore(tmp_path / "resume")
    record = TorrentRecord(HASH, FakeHandle(), 0.0)  # type: ignore[arg-type]
    registry.add(record)
    keeper = ResumeKeeper(store, registry)
    keeper.save_new(record, resume_params(5))
    return keeper, registry, store, record


def saved_pieces(store: ResumeStore) -> int:
    return count_pieces(lt.read_resume_data(store.path_for(HASH).read_bytes()))


def test_answer_claiming_fewer_pieces_never_replaces_the_file(keeper: Any) -> None:
    keeper, _, store, record = keeper
    keeper.on_saved(FakeSaveAlert(resume_params(0), record.handle))  # the "0 pieces" record of a start-up check
    assert saved_pieces(store) == 5
    keeper.on_saved(FakeSaveAlert(resume_params(7), record.handle))
    assert saved_pieces(store) == 7


def test_fewer_pieces_are_accepted_after_a_requested_recheck(keeper: Any) -> None:
    keeper, _, store, record = keeper
    record.recheck_requested = True
    keeper.on_saved(FakeSaveAlert(resume_params(2), record.handle))
    assert saved_pieces(store) == 2 and not record.recheck_requested


def test_no_request_before_the_first_check_and_only_when_libtorrent_says_so(keeper: Any) -> None:
    keeper, _, _, record = keeper
    record.needs_save = True
    keeper.request_due()
    assert record.handle.requests == []  # still checking: asking now could return 0 pieces
    record.checked = True
    keeper.request_due()
    assert len(record.handle.requests) == 1
    assert record.handle.requests[0] & int(lt.save_resume_flags_t.only_if_modified)
    keeper.request_due()
    assert len(record.handle.requests) == 1  # nothing new to save


def test_answer_for_a_removed_torrent_does_not_resurrect_its_file(keeper: Any) -> None:
    keeper, registry, store, record = keeper
    registry.pop(HASH)
    store.delete(HASH)
    keeper.on_saved(FakeSaveAlert(resume_params(6), record.handle))
    assert not store.path_for(HASH).exists()


def test_atomic_write_leaves_no_temp_file_and_replaces_content(tmp_path: Path) -> None:
    target = tmp_path / "x.resume"
    atomic_write(target, b"old")
    atomic_write(target, b"new")
    assert target.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["x.resume"]


@dataclass
class FakeAlert:
    text: str

    def message(self) -> str:
        return self.text


class OtherAlert(FakeAlert):
    pass


@dataclass
class FakeSession:
    """Twenty lines of session: hands out queued alert batches to wait_for_alert/pop_alerts."""

    batches: list[list[Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_for_alert(self, ms: int) -> Any:
        with self.lock:
            return self.batches[0][0] if self.batches and self.batches[0] else None

    def pop_alerts(self) -> list[Any]:
        with self.lock:
            return self.batches.pop(0) if self.batches else []


def test_pump_dispatches_by_type_and_survives_a_failing_handler(caplog: pytest.LogCaptureFixture) -> None:
    seen: list[str] = []

    def failing(alert: Any) -> None:
        raise ValueError("boom")

    session = FakeSession([[FakeAlert("a"), OtherAlert("b"), FakeAlert("c")]])
    pump = AlertPump(session, {FakeAlert: lambda a: seen.append(a.text), OtherAlert: failing},  # type: ignore[arg-type]
                     lambda: None, 1.0)
    with caplog.at_level(logging.ERROR):
        pump.pump_once(10)
    assert seen == ["a", "c"]
    assert "OtherAlert" in caplog.text


def test_pump_thread_ticks_and_finishes_on_its_own_thread() -> None:
    ticks = threading.Event()
    ran_on: list[str] = []
    pump = AlertPump(FakeSession(), {}, ticks.set, 0.01)  # type: ignore[arg-type]
    pump.start()
    assert ticks.wait(10)
    assert pump.finish(lambda session: ran_on.append(threading.current_thread().name), 10)
    assert ran_on == ["engine-alerts"]


def test_final_work_waits_for_the_handler_in_progress_and_only_the_alert_thread_pops() -> None:
    entered, release = threading.Event(), threading.Event()
    order: list[str] = []

    def handler(alert: Any) -> None:
        if alert.text == "slow":
            entered.set()
            release.wait(10)
        order.append(alert.text)

    session = FakeSession([[FakeAlert("slow"), FakeAlert("after")]])
    pump = AlertPump(session, {FakeAlert: handler}, lambda: None, 1.0)  # type: ignore[arg-type]
    pump.start()
    assert entered.wait(10)
    with pytest.raises(RuntimeError, match="alert thread may take"):
        pump.pump_once(1)  # a second popper would invalidate the batch the handler is reading
    finished: list[bool] = []
    waiter = threading.Thread(target=lambda: finished.append(pump.finish(lambda s: order.append("final"), 10)))
    waiter.start()
    release.set()
    waiter.join(20)
    assert finished == [True]
    assert order == ["slow", "after", "final"]


def test_shutdown_from_a_handler_abandons_the_rest_of_the_batch() -> None:
    """A handler that shuts down pops again (the count-down): the alerts of its own batch are then invalid."""
    order: list[str] = []
    session = FakeSession([[FakeAlert("stop"), FakeAlert("stale")], [FakeAlert("counted")]])
    holder: list[AlertPump] = []

    def handler(alert: Any) -> None:
        order.append(alert.text)
        if alert.text == "stop":
            holder[0].finish(lambda s: holder[0].pump_once(1), 10)

    pump = AlertPump(session, {FakeAlert: handler}, lambda: None, 1.0)  # type: ignore[arg-type]
    holder.append(pump)
    pump.start()
    wait_until(lambda: not pump.is_alive(), 10, "the pump ended")
    assert order == ["stop", "counted"]


@dataclass
class FakeStatus:
    state: Any = lt.torrent_status.states.downloading
    flags: int = int(lt.torrent_flags.auto_managed)
    error: str = ""
    errc: Any = field(default_factory=lt.error_code)
    moving_storage: bool = False
    is_finished: bool = False
    has_metadata: bool = True


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (FakeStatus(), TorrentState.DOWNLOADING),
        (FakeStatus(state=lt.torrent_status.states.seeding, is_finished=True), TorrentState.SEEDING),
        (FakeStatus(flags=int(lt.torrent_flags.paused)), TorrentState.PAUSED),
        (FakeStatus(flags=int(lt.torrent_flags.paused) | int(lt.torrent_flags.auto_managed)), TorrentState.QUEUED),
        (FakeStatus(state=lt.torrent_status.states.checking_resume_data), TorrentState.CHECKING),
        (FakeStatus(state=lt.torrent_status.states.downloading_metadata), TorrentState.FETCHING_METADATA),
        (FakeStatus(error="disk full"), TorrentState.ERROR),
        (FakeStatus(moving_storage=True), TorrentState.MOVING),
        (FakeStatus(state=lt.torrent_status.states.finished, is_finished=True), TorrentState.FINISHED),
    ],
)
def test_states_are_named_as_a_user_would(status: FakeStatus, expected: TorrentState) -> None:
    assert state_of(status) is expected


def test_every_setting_reaches_the_settings_pack() -> None:
    settings = EngineSettings(
        listen_interfaces="127.0.0.9:7000", outgoing_interfaces="127.0.0.9", enable_dht=False, enable_lsd=False,
        enable_upnp=False, enable_natpmp=False, enable_tcp=True, enable_utp=False,
        encryption=EncryptionPolicy.FORCED, connections_limit=77, download_rate_limit=1000,
        upload_rate_limit=2000, active_downloads=3, active_seeds=4, active_limit=9, user_agent="UA/1",
        allow_multiple_connections_per_ip=True,
    )
    pack = settings_pack(settings)
    assert pack["listen_interfaces"] == "127.0.0.9:7000" and pack["outgoing_interfaces"] == "127.0.0.9"
    assert not (pack["enable_dht"] or pack["enable_lsd"] or pack["enable_upnp"] or pack["enable_natpmp"])
    assert not pack["enable_outgoing_utp"] and not pack["enable_incoming_utp"] and pack["enable_outgoing_tcp"]
    assert pack["out_enc_policy"] == int(lt.enc_policy.forced) == pack["in_enc_policy"]
    assert (pack["connections_limit"], pack["download_rate_limit"], pack["upload_rate_limit"]) == (77, 1000, 2000)
    assert (pack["active_downloads"], pack["active_seeds"], pack["active_limit"]) == (3, 4, 9)
    assert pack["user_agent"] == "UA/1" and pack["allow_multiple_connections_per_ip"]
    session = lt.session(pack)  # libtorrent accepts every key
    assert session.get_settings()["connections_limit"] == 77


def test_storage_errors_read_as_sentences() -> None:
    assert "disk is full" in describe_error(lt.error_code(errno.ENOSPC, lt.generic_category()))
    assert "Permission denied" in describe_error(lt.error_code(errno.EACCES, lt.system_category()), "/x/a.bin")
    assert describe_error(lt.error_code(errno.EACCES, lt.system_category()), "/x/a.bin").endswith("(/x/a.bin)")


@pytest.mark.parametrize(
    ("raw", "safe"),
    [("../../evil", "evil"), ("/etc/passwd", "etc passwd"), ("..\\..\\win", "win"), (".hidden", "hidden"), ("", "")],
)
def test_display_names_cannot_be_paths(raw: str, safe: str) -> None:
    assert safe_display_name(raw) == safe


def test_magnet_name_is_sanitized_before_libtorrent_sees_it() -> None:
    params = params_from_magnet(f"magnet:?xt=urn:btih:{HASH}&dn=..%2F..%2Fevil")
    assert params.name == "evil"


@dataclass
class SeedingStatus:
    is_seeding: bool = True
    paused: bool = False
    all_time_download: int = 1000
    all_time_upload: int = 0
    total_wanted_done: int = 1000
    seeding_duration: Any = field(default_factory=lambda: __import__("datetime").timedelta(minutes=1))


def test_seed_policy_stops_at_the_ratio_or_the_time_limit() -> None:
    from app.engine.seed_policy import over_seed_limit

    ratio = EngineSettings(seed_ratio_limit=2.0)
    assert not over_seed_limit(SeedingStatus(all_time_upload=1999), ratio)
    assert over_seed_limit(SeedingStatus(all_time_upload=2000), ratio)
    assert not over_seed_limit(SeedingStatus(all_time_upload=5000, paused=True), ratio)
    assert not over_seed_limit(SeedingStatus(all_time_upload=5000, is_seeding=False), ratio)
    timed = EngineSettings(seed_time_limit_minutes=2)
    assert not over_seed_limit(SeedingStatus(), timed)
    assert over_seed_limit(SeedingStatus(seeding_duration=__import__("datetime").timedelta(minutes=2)), timed)
    assert not over_seed_limit(SeedingStatus(all_time_upload=10**9), EngineSettings())


def test_seeding_torrents_are_saved_for_their_counters_only_now_and_then(keeper: Any) -> None:
    keeper, _, _, record = keeper
    record.checked = True
    record.only_counters_change = True
    record.needs_save = True
    keeper.request_due()
    assert len(record.handle.requests) == 1
    record.needs_save = True
    keeper.request_due()  # uploaded a little more: not worth a write yet
    assert len(record.handle.requests) == 1
    record.only_counters_change = False  # downloading again: progress is saved at once
    keeper.request_due()
    assert len(record.handle.requests) == 2
