"""The desktop window (PySide6, the only importer of Qt): pages, dialogs, tray, single instance, engine bridge.

``desktop.Desktop`` assembles the window from the parts ``app.main`` builds; ``store_section`` adds the
store-backed pages (Store, Library, Player). Everything here runs on the Qt main thread; blocking work goes
through ``tasks`` and engine events arrive through ``bridge``.
"""
