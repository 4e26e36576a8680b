"""Paints one Library card: the cover (a placeholder with the kind until it arrives), the title, the badges
(Downloading, Ready, Backed, New episode) and a thin download bar while it downloads.

A ``QStyledItemDelegate`` that asks the model for a ``Card`` in Python, not for roles through ``QVariant``:
under PySide6 6.12 on CPython 3.11 every ``index.data(role)`` read back as "no value" costs a reference to
``None`` (1,000 reads: ``sys.getrefcount(None)`` 998 lower), and a grid repaints often — the interpreter aborted
("none_dealloc") within seconds of scrolling 1,000 cards. Painting reads only what the model holds (the cover
pixmap is already decoded by the cover cache's worker) and scales each cover to the card once (kept by the
pixmap's cache key), so a grid of 1,000 cards repaints its visible ones cheaply on every stats batch.

Main thread only.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPixmap
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from app.ui.library.model import Card

COVER = QSize(150, 200)  # the store's covers are 3:4
CARD = QSize(COVER.width() + 24, COVER.height() + 56)
_BADGE_COLOURS = {  # background, text — AA contrast (≥ 4.5:1) on each
    "Downloading": ("#1d4ed8", "#ffffff"),
    "Ready": ("#166534", "#ffffff"),
    "Backed": ("#7c2d12", "#ffffff"),
    "New episode": ("#b91c1c", "#ffffff"),
}


SCALED_KEPT = 2000  # scaled covers remembered (~120 KB each)


class CoverDelegate(QStyledItemDelegate):
    def __init__(self, card_of: Callable[[QModelIndex | QPersistentModelIndex], Card | None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._card_of = card_of
        self._scaled: dict[int, QPixmap] = {}

    def _card_cover(self, cover: QPixmap) -> QPixmap:
        key = cover.cacheKey()
        scaled = self._scaled.get(key)
        if scaled is None:
            if len(self._scaled) >= SCALED_KEPT:
                self._scaled.clear()
            scaled = cover.scaled(COVER, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
            self._scaled[key] = scaled
        return scaled

    def sizeHint(self, _option: QStyleOptionViewItem, _index: QModelIndex | QPersistentModelIndex) -> QSize:  # noqa: N802
        return CARD

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        card = self._card_of(index)
        if card is None:
            return
        painter.save()
        rect: QRect = option.rect
        state = option.state
        if state & QStyle.StateFlag.State_Selected:
            painter.fillRect(rect, option.palette.highlight())
        cover_rect = QRect(rect.x() + (rect.width() - COVER.width()) // 2, rect.y() + 6, COVER.width(),
                           COVER.height())
        if card.cover is not None and not card.cover.isNull():
            scaled = self._card_cover(card.cover)
            painter.drawPixmap(cover_rect.x() + (COVER.width() - scaled.width()) // 2,
                               cover_rect.y() + (COVER.height() - scaled.height()) // 2, scaled)
        else:
            painter.fillRect(cover_rect, QColor("#d9dce3"))
            painter.setPen(QColor("#374151"))
            painter.drawText(cover_rect, Qt.AlignmentFlag.AlignCenter, card.kind.title())
        self._paint_badges(painter, cover_rect, card.badges)
        if card.progress is not None and card.progress < 1.0:
            bar = QRect(cover_rect.x(), cover_rect.bottom() - 5, cover_rect.width(), 6)
            painter.fillRect(bar, QColor("#1f2937"))
            painter.fillRect(QRect(bar.x(), bar.y(), round(bar.width() * card.progress), bar.height()),
                             QColor("#3b82f6"))
        title_rect = QRect(rect.x() + 4, cover_rect.bottom() + 4, rect.width() - 8,
                           rect.bottom() - cover_rect.bottom() - 4)
        palette = option.palette
        selected = bool(state & QStyle.StateFlag.State_Selected)
        painter.setPen((palette.highlightedText() if selected else palette.text()).color())
        flags = Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap
        painter.drawText(title_rect, flags, card.title)
        painter.restore()

    @staticmethod
    def _paint_badges(painter: QPainter, cover: QRect, texts: tuple[str, ...]) -> None:
        font = QFont(painter.font())
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.8))
        font.setBold(True)
        painter.setFont(font)
        metrics = painter.fontMetrics()
        y = cover.y() + 4
        for text in texts:
            background, foreground = _BADGE_COLOURS.get(text, ("#111827", "#ffffff"))
            width = metrics.horizontalAdvance(text) + 10
            badge = QRect(cover.right() - width - 3, y, width, metrics.height() + 2)
            painter.fillRect(badge, QColor(background))
            painter.setPen(QColor(foreground))
            painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, text)
            y += badge.height() + 3
