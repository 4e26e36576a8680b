"""The Player section: the page (video surface, controls, seek bar with downloaded/playable ranges, the in-player
offer) and its host (``host.PlayerHost``: what to play, asked of ``app.library``)."""

from app.ui.player.page import PlayerPage

__all__ = ["PlayerPage"]
