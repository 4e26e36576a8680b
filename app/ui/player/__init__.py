"""The player page: video surface, controls, seek bar with downloaded/playable ranges, the in-player offer."""

from app.ui.player.page import PlayerPage

__all__ = ["PlayerPage"]
