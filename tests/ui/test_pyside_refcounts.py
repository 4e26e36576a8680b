"""The Qt binding must not lose references to ``True``: the crash at quit ("Fatal Python error: bool_dealloc:
deallocating True or False") came from PySide6 6.12.0, whose ``SignalInstance.emit()`` returns ``True`` without
owning a reference to it. Every emit dropped one; the engine bridge emits ~10 times a second, so after a few minutes
``True`` reached zero (Python 3.11 has no immortal ``True``) and the process died, mostly at quit when the last
references go. pyproject pins the binding below 6.12; this test fails on any release with the same defect.
"""

from __future__ import annotations

import sys
import threading

from PySide6.QtCore import QObject, Signal
from pytestqt.qtbot import QtBot

EMITS = 200  # far fewer than the references True has in a test process: a leaking binding fails, never crashes
# Other threads of the test process may take or drop a few references meanwhile; a leaking binding drops one per emit.
SLACK = EMITS // 2


class Emitter(QObject):
    bare = Signal()
    with_args = Signal(str, object)


def test_emitting_a_signal_keeps_every_reference_to_true(qtbot: QtBot) -> None:
    emitter, received = Emitter(), []
    emitter.with_args.connect(lambda text, value: received.append((text, value)))
    before = sys.getrefcount(True)
    for _ in range(EMITS):
        emitter.bare.emit()  # unconnected
        emitter.with_args.emit("x", None)  # connected, direct
    after = sys.getrefcount(True)
    assert len(received) == EMITS
    assert after > before - SLACK, f"{EMITS * 2} emits dropped {before - after} references to True"


def test_emitting_from_another_thread_keeps_every_reference_to_true(qtbot: QtBot) -> None:
    # What the engine bridge does: the alert thread emits, Qt queues the call to the main thread.
    emitter, received = Emitter(), []
    emitter.with_args.connect(lambda text, value: received.append(value))
    before = sys.getrefcount(True)
    worker = threading.Thread(target=lambda: [emitter.with_args.emit("x", n) for n in range(EMITS)])
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: len(received) == EMITS, timeout=10_000)
    after = sys.getrefcount(True)
    assert after > before - SLACK, f"{EMITS} emits from a thread dropped {before - after} references to True"
