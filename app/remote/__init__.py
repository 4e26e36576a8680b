"""The remote control: an HTTP API in the shape of qBittorrent's Web API v2 (for the calls both share) and a small
web page, on the headless seedbox (and available to the desktop app). Off by default, bound to 127.0.0.1 unless
chosen otherwise, behind a password (argon2) with sessions, CSRF checks and rate-limited wrong passwords.
Qt-free; depends on ``app.engine`` and ``app.automation`` (import-linter contract). See docs/REMOTE-API.md.
"""
