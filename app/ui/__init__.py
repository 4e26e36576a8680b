"""The desktop window (PySide6, the only importer of Qt): pages, dialogs, tray, single instance, engine bridge.

``assembly.assemble_window`` wires the window from the parts ``app.main`` builds: the shell (``desktop.Desktop``:
window, tray, bridge, Transfers, Settings) and the sections (``store``, ``library``, ``player``), which know neither
the shell nor each other. Everything here runs on the Qt main thread; blocking work goes through ``tasks`` and
engine events arrive through ``bridge``.
"""

from app.ui.none_guard import make_none_immortal

make_none_immortal()  # before any Qt call: PySide6 6.12.0 on CPython 3.11 leaks references to None
