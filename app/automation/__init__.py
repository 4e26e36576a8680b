"""Automation around the engine, Qt-free: the alternative-speed scheduler, the watched folder, RSS auto-download
and the weekly seeding contribution. Each module says its thread; the desktop window and the headless seedbox both
drive them. Depends on ``app.engine`` only (import-linter contract in pyproject.toml).
"""
