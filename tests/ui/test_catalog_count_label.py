"""The Store grid's count line when the store stops counting (a catalog past 1,000 matches answers
``total_exact: false``): "More than 1,000 bundles", and the grid still pages on. An older store's answer (no
``total_exact``) is an exact count. The answers go through the client's real parser; the loader is a stand-in for
the HTTP call (``tests/storefront/test_catalog_count.py`` checks the store's side on PostgreSQL)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pytestqt.qtbot import QtBot

from app.store.models import CatalogPage
from app.store.parsing import catalog_page
from app.ui.covers import CoverCache
from app.ui.store.catalog_page import CatalogGrid
from app.ui.tasks import SynchronousTaskRunner


def _answer(count: int, **fields: Any) -> dict[str, Any]:
    items = [
        {
            "id": f"b{i:05d}",
            "title": f"Bundle {i}",
            "creator": "Creator",
            "kind": "music",
            "gate": {"type": "paid", "currency": "USD", "price_cents": 100},
            "cover_url": None,
            "summary": "",
            "total_size": 1000,
        }
        for i in range(count)
    ]
    return {"items": items, "page": 1, "per_page": 60, **fields}


def _grid(qtbot: QtBot, tmp_path: Path, answer: dict[str, Any]) -> CatalogGrid:
    def load(_query: str, _kind: str | None, _page: int) -> CatalogPage:
        return catalog_page(answer)

    tasks = SynchronousTaskRunner()
    grid = CatalogGrid(load, CoverCache(lambda _url: b"", tasks, tmp_path / "covers"), tasks)
    qtbot.addWidget(grid)
    grid.reload()
    return grid


def test_an_inexact_total_reads_more_than_and_the_grid_pages_on(qtbot: QtBot, tmp_path: Path) -> None:
    grid = _grid(qtbot, tmp_path, _answer(60, total=1000, total_exact=False))
    assert grid.grid.count() == 60
    assert grid.count_label.text() == "More than 1,000 bundles"
    assert grid.has_more


def test_an_older_stores_total_is_exact(qtbot: QtBot, tmp_path: Path) -> None:
    grid = _grid(qtbot, tmp_path, _answer(7, total=7))
    assert grid.count_label.text() == "7 bundles"
    assert not grid.has_more
