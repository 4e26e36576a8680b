"""The Transfers page's sidebar, as qBittorrent users know it: status filters, categories, tags and trackers,
each with its count; one choice per section, the sections combined (and with the name filter, by the page).

Counts come from the model's ``StatusCounter`` and the engine's ``Labels`` — both kept from the stats batches, so
refreshing the counts asks the engine nothing. Status counts are refreshed on every batch (nine numbers); the
category, tag and tracker counts are recounted only when the labels, the tracker hosts or the set of torrents
changed. Right-clicking a category or tag offers to create or remove one (the page does the engine call).

Main thread only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QMenu, QVBoxLayout, QWidget

from app.engine.labels import Labels
from app.engine.types import TorrentId
from app.ui.transfers.statuses import STATUS_LABELS, Status, StatusCounter

_VALUE_ROLE = Qt.ItemDataRole.UserRole + 10
_ALL = "\x00all"  # the "All" entry of a section (None in TransfersFilter); "" is "none" (uncategorized, …)


class _Section(QListWidget):
    """One list of choices; exactly one is current ("All" when nothing else is)."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    def set_entries(self, entries: list[tuple[str, str, int]]) -> None:
        """(value, label, count) in order; keeps the current choice if it is still there (else "All")."""
        chosen = self.value()
        values = [self.item(row).data(_VALUE_ROLE) for row in range(self.count())]
        if values == [value for value, _, _ in entries]:
            for row, (_, label, count) in enumerate(entries):
                text = f"{label} ({count})"
                if self.item(row).text() != text:
                    self.item(row).setText(text)
            return
        self.blockSignals(True)
        self.clear()
        for value, label, count in entries:
            item = QListWidgetItem(f"{label} ({count})")
            item.setData(_VALUE_ROLE, value)
            self.addItem(item)
        self.blockSignals(False)
        if not self.choose(chosen):
            self.choose(_ALL)
            self.currentRowChanged.emit(self.currentRow())  # the choice fell back to "All"

    def value(self) -> str:
        item = self.currentItem()
        return str(item.data(_VALUE_ROLE)) if item is not None else _ALL

    def choose(self, value: str) -> bool:
        for row in range(self.count()):
            if self.item(row).data(_VALUE_ROLE) == value:
                self.blockSignals(True)
                self.setCurrentRow(row)
                self.blockSignals(False)
                return True
        return False

    def text_of(self, value: str) -> str:
        for row in range(self.count()):
            if self.item(row).data(_VALUE_ROLE) == value:
                return self.item(row).text()
        return ""


class TransfersSidebar(QWidget):
    """Status, Categories, Tags, Trackers — with live counts."""

    choice_changed = Signal()
    create_category_requested = Signal()
    remove_category_requested = Signal(str)
    create_tag_requested = Signal()
    delete_tag_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.statuses = _Section(self)
        self.categories = _Section(self)
        self.tags = _Section(self)
        self.trackers = _Section(self)
        for title, section in (
            ("Status", self.statuses),
            ("Categories", self.categories),
            ("Tags", self.tags),
            ("Trackers", self.trackers),
        ):
            layout.addWidget(QLabel(f"<b>{title}</b>", self))
            layout.addWidget(section, 1)
            section.currentRowChanged.connect(lambda _row: self.choice_changed.emit())
        self.categories.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.categories.customContextMenuRequested.connect(self._category_menu)
        self.tags.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tags.customContextMenuRequested.connect(self._tag_menu)
        self.statuses.set_entries([(status.value, STATUS_LABELS[status], 0) for status in Status])
        self.statuses.choose(Status.ALL.value)
        self.show_labels(Labels(), [], {})

    # --- the choice ----------------------------------------------------------------------------------
    def status(self) -> Status:
        return Status(self.statuses.value())

    def category(self) -> str | None:
        return _none_for_all(self.categories.value())

    def tag(self) -> str | None:
        return _none_for_all(self.tags.value())

    def tracker(self) -> str | None:
        return _none_for_all(self.trackers.value())

    def restore(self, status: str, category: str | None, tag: str | None, tracker: str | None) -> None:
        """Pick what a previous run had picked, where it still exists."""
        self.statuses.choose(status)
        for section, value in ((self.categories, category), (self.tags, tag), (self.trackers, tracker)):
            section.choose(_ALL if value is None else value)
        self.choice_changed.emit()

    # --- counts --------------------------------------------------------------------------------------
    def show_status_counts(self, counter: StatusCounter) -> None:
        self.statuses.set_entries([(s.value, STATUS_LABELS[s], counter.count(s)) for s in Status])

    def show_labels(
        self, labels: Labels, ids: Iterable[TorrentId], hosts: Mapping[TorrentId, tuple[str, ...]]
    ) -> None:
        """Recount categories, tags and trackers over ``ids`` (the torrents in the table)."""
        # Counted over the labelled torrents and the hosts, not per torrent: a few milliseconds at 10,000.
        present = set(ids)
        total = len(present)
        by_category = Counter(cat for tid, cat in labels.category_of.items() if tid in present)
        by_category[""] = total - sum(by_category.values())
        by_tag: Counter[str] = Counter()
        tagged = 0
        for tid, tags in labels.tags_of.items():
            if tid in present:
                by_tag.update(tags)
                tagged += 1
        untagged = total - tagged
        by_host = Counter(host for tid, torrent_hosts in hosts.items() if tid in present for host in torrent_hosts)
        trackerless = sum(1 for tid, torrent_hosts in hosts.items() if not torrent_hosts and tid in present)
        self.categories.set_entries(
            [(_ALL, "All", total), ("", "Uncategorized", by_category[""])]
            + [(name, name, by_category[name]) for name in sorted(labels.categories, key=str.casefold)]
        )
        self.tags.set_entries(
            [(_ALL, "All", total), ("", "Untagged", untagged)] + [(tag, tag, by_tag[tag]) for tag in labels.tags]
        )
        self.trackers.set_entries(
            [(_ALL, "All", total), ("", "Trackerless", trackerless)]
            + [(host, host, count) for host, count in sorted(by_host.items())]
        )

    # --- menus ---------------------------------------------------------------------------------------
    def _category_menu(self, point: QPoint) -> None:
        menu = QMenu(self)
        menu.addAction("Add category…", self.create_category_requested.emit)
        item = self.categories.itemAt(point)
        value = item.data(_VALUE_ROLE) if item is not None else None
        if value and value != _ALL:
            menu.addAction(f"Remove category “{value}”", lambda: self.remove_category_requested.emit(value))
        menu.popup(self.categories.viewport().mapToGlobal(point))

    def _tag_menu(self, point: QPoint) -> None:
        menu = QMenu(self)
        menu.addAction("Add tag…", self.create_tag_requested.emit)
        item = self.tags.itemAt(point)
        value = item.data(_VALUE_ROLE) if item is not None else None
        if value and value != _ALL:
            menu.addAction(f"Delete tag “{value}”", lambda: self.delete_tag_requested.emit(value))
        menu.popup(self.tags.viewport().mapToGlobal(point))


def _none_for_all(value: str) -> str | None:
    return None if value == _ALL else value
