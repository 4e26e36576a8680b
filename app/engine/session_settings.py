"""Maps our typed ``EngineSettings`` onto a libtorrent settings pack (a plain dict the session accepts).

Pure function, any thread. The seeding limits (ratio, time, action) are enforced by ``seed_policy`` because
libtorrent's own ratio limit only re-queues auto-managed torrents instead of stopping them.
"""

from __future__ import annotations

from typing import Any

import libtorrent as lt

from app.engine.proxy_settings import proxy_pack
from app.engine.settings import EncryptionPolicy, EngineSettings

_ENC = {
    EncryptionPolicy.ENABLED: int(lt.enc_policy.enabled),
    EncryptionPolicy.FORCED: int(lt.enc_policy.forced),
    EncryptionPolicy.DISABLED: int(lt.enc_policy.disabled),
}

RECONNECT_BACKOFF_S = 60  # libtorrent's min_reconnect_time default, named: redial shortens it for a while

ALERT_MASK = (
    lt.alert_category.error
    | lt.alert_category.status
    | lt.alert_category.storage
    | lt.alert_category.piece_progress
    | lt.alert_category.performance_warning
    | lt.alert_category.connect  # peer_connect_alert: the peers a torrent dialed, redialed when it wants more
)


def settings_pack(settings: EngineSettings, proxy_password: str = "") -> dict[str, Any]:
    """The settings pack for ``settings``; every field of EngineSettings is mapped (seed limits in seed_policy).
    ``proxy_password`` goes with ``settings.proxy_username`` (it is never part of the settings themselves)."""
    return {
        "listen_interfaces": settings.listen_interfaces,
        "outgoing_interfaces": settings.outgoing_interfaces,
        "enable_dht": settings.enable_dht,
        "enable_lsd": settings.enable_lsd,
        "enable_upnp": settings.enable_upnp,
        "enable_natpmp": settings.enable_natpmp,
        "enable_outgoing_tcp": settings.enable_tcp,
        "enable_incoming_tcp": settings.enable_tcp,
        "enable_outgoing_utp": settings.enable_utp,
        "enable_incoming_utp": settings.enable_utp,
        "out_enc_policy": _ENC[settings.encryption],
        "in_enc_policy": _ENC[settings.encryption],
        "allowed_enc_level": int(lt.enc_level.both),
        "connections_limit": settings.connections_limit,
        "download_rate_limit": settings.download_rate_limit,
        "upload_rate_limit": settings.upload_rate_limit,
        "active_downloads": settings.active_downloads,
        "active_seeds": settings.active_seeds,
        "active_limit": settings.active_limit,
        "user_agent": settings.user_agent,
        "allow_multiple_connections_per_ip": settings.allow_multiple_connections_per_ip,
        "alert_mask": int(ALERT_MASK),
        "min_reconnect_time": RECONNECT_BACKOFF_S,
        # Big bursts of piece alerts during a fast download must not be dropped: streams wait on them.
        "alert_queue_size": 100_000,
        # connect_peer and deadline picks happen on the session tick; 100 ms shortens stream start (FIELD-NOTES).
        "tick_interval": 100,
        # Throughput: the transfer knobs of libtorrent's high_performance_seed (bench/transfer.py compares),
        # with the disk queue small (FIELD-NOTES: ~7 MiB keeps RSS low without losing speed). Large socket buffers
        # keep a fast pipe full: without the send buffer the engine moved 0.72x the best plain libtorrent over
        # loopback, with it 0.97x (bench/transfer.py, idle machine). Stale data cannot pile up ahead of a streaming
        # peer's requests: send_not_sent_low_watermark (TCP_NOTSENT_LOWAT) caps what waits unsent in the kernel,
        # and stream start and seek times did not change (1.93 s / 2.14 s at 2 MB/s, before and after).
        "recv_socket_buffer_size": 4 * 1024 * 1024,
        "send_socket_buffer_size": 4 * 1024 * 1024,
        "send_buffer_watermark": 3 * 1024 * 1024,
        "send_buffer_low_watermark": 1024 * 1024,
        "send_buffer_watermark_factor": 150,
        "send_not_sent_low_watermark": 512 * 1024,
        "max_queued_disk_bytes": 7 * 1024 * 1024,
        "max_peer_recv_buffer_size": 5 * 1024 * 1024,
        "max_out_request_queue": 1500,
        "max_allowed_in_request_queue": 2000,
        "mixed_mode_algorithm": 0,  # prefer TCP: uTP would be throttled to leave room for TCP
        # The rest of high_performance_seed's throughput knobs that suit a desktop client too.
        "aio_threads": 8,
        "suggest_mode": 1,
        "allowed_fast_set_size": 0,
        "file_pool_size": 500,
        "checking_mem_usage": 2048,
    } | proxy_pack(settings, proxy_password)
