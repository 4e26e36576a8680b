"""Human-readable sizes, rates and durations for the window's labels and tables (pure functions)."""

from __future__ import annotations

from app.library.money import format_price

__all__ = ["format_eta", "format_price", "format_rate", "format_size"]

_UNITS = ("B", "KiB", "MiB", "GiB", "TiB")


def format_size(num_bytes: int) -> str:
    """``1536`` → ``"1.5 KiB"``."""
    value = float(num_bytes)
    for unit in _UNITS:
        if abs(value) < 1024 or unit == _UNITS[-1]:
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} {_UNITS[-1]}"


def format_rate(bytes_per_second: int) -> str:
    """``0`` → ``""`` (a quiet table), otherwise ``"1.5 KiB/s"``."""
    return f"{format_size(bytes_per_second)}/s" if bytes_per_second > 0 else ""


def format_eta(seconds: int | None) -> str:
    """Seconds left as ``"2h 05m"``, ``"3m 20s"``, ``"45s"``; ``∞`` when unknown."""
    if seconds is None or seconds < 0:
        return "∞"
    if seconds >= 86_400:
        return f"{seconds // 86_400}d {seconds % 86_400 // 3600}h"
    if seconds >= 3600:
        return f"{seconds // 3600}h {seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m {seconds % 60:02d}s"
    return f"{seconds}s"
