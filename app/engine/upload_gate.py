"""Stopping every upload at once (a metered connection) and letting them go again.

libtorrent has no "upload nothing" switch: a rate limit of 0 means unlimited. Peers on the local network sit in
their own peer class, which the session's ``upload_rate_limit`` does not reach (FIELD-NOTES). The gate therefore
sets the upload limit of both the global and the local peer class to 1 byte/s (libtorrent floors it at 10 B/s):
after what already sits in socket buffers, nothing moves, and peers stay connected. Opening restores the session's
own upload limit (the global class carries ``upload_rate_limit``) and unlimited local peers. Measured on loopback:
a leecher's progress stopped within half a second and went on to the end once the gate opened. Taking the unchoke
slots away as well (``unchoke_slots_limit`` 0) was tried and dropped: the choked peer was never unchoked again
after the slots came back, and the download stalled for good.

Called from any thread through the ``Engine`` (``set_uploads_allowed``).
"""

from __future__ import annotations

from typing import Any

import libtorrent as lt

from app.engine.settings import EngineSettings

_STOPPED = 1  # bytes/s: 0 would mean unlimited


def _set_upload_limit(session: lt.session, class_id: int, limit: int) -> None:
    info: Any = session.get_peer_class(class_id)
    info["upload_limit"] = limit
    session.set_peer_class(class_id, info)


def close_gate(session: lt.session) -> None:
    _set_upload_limit(session, lt.session.global_peer_class_id, _STOPPED)
    _set_upload_limit(session, lt.session.local_peer_class_id, _STOPPED)


def open_gate(session: lt.session, settings: EngineSettings) -> None:
    _set_upload_limit(session, lt.session.global_peer_class_id, settings.upload_rate_limit)
    _set_upload_limit(session, lt.session.local_peer_class_id, 0)
