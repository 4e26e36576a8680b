"""What the window shows for a failure: ``user_message(exc)`` — a store, library or engine error's own sentence,
or the exception's text; never a traceback. Pure; any thread."""

from __future__ import annotations


def user_message(exc: BaseException) -> str:
    """The sentence to show: a store error's own, or the exception's text — never a traceback."""
    return str(getattr(exc, "user_message", "") or exc or type(exc).__name__)
