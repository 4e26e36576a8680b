"""The session's own state across restarts: ``session.dat`` in the engine's state folder (DHT state, settings that
libtorrent keeps). Read once at start; written atomically at shutdown on the alert thread. An unreadable file is
moved aside (``session.dat.corrupt-<time>``) and the session starts from defaults.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import libtorrent as lt

from app.engine.resume_store import atomic_write

log = logging.getLogger(__name__)
FILE_NAME = "session.dat"


def load_session_params(state_dir: Path) -> lt.session_params:
    path = state_dir / FILE_NAME
    if path.exists():
        try:
            return lt.read_session_params(path.read_bytes())
        except (RuntimeError, OSError) as exc:
            target = path.with_name(f"{FILE_NAME}.corrupt-{int(time.time())}")
            log.error("session parameters unreadable (%s); moved aside to %s", exc, target.name)
            path.replace(target)
    return lt.session_params()


def save_session_params(state_dir: Path, session: lt.session) -> None:
    try:
        atomic_write(state_dir / FILE_NAME, lt.write_session_params_buf(session.session_state()))
    except OSError:
        log.exception("could not save the session parameters")
