"""The web seed (BEP 19) over real HTTP: Range answers, nothing outside the content folder, no listings."""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI

from storefront.config import StoreConfig
from storefront.webseed import mount_web_seed
from tests.support.live_server import serve_in_thread
from tests.support.net import loopback_address

DATA = os.urandom(100_000)


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, StoreConfig]]:
    config = StoreConfig(data_dir=tmp_path_factory.mktemp("store"))
    config.ensure_dirs()
    top = config.content_dir("b1") / "My Show"
    (top / "episodes").mkdir(parents=True)
    (top / "episodes" / "e01.mp4").write_bytes(DATA)
    (config.keys_dir / "secret.pem").write_bytes(b"never served")
    app = FastAPI()
    mount_web_seed(app, config)
    with serve_in_thread(app, loopback_address()) as url:
        yield url, config


def _get(url: str, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
    with httpx.Client(base_url=url, timeout=10) as client:
        return client.get(path, headers=headers or {})


FILE = "/seed/b1/My%20Show/episodes/e01.mp4"


def test_a_range_gets_206_with_exactly_those_bytes(seed: tuple[str, StoreConfig]) -> None:
    url, _ = seed
    response = _get(url, FILE, {"Range": "bytes=1000-1999"})
    assert response.status_code == 206
    assert response.content == DATA[1000:2000]
    assert response.headers["content-range"] == f"bytes 1000-1999/{len(DATA)}"


def test_an_open_ended_range_and_a_whole_file(seed: tuple[str, StoreConfig]) -> None:
    url, _ = seed
    tail = _get(url, FILE, {"Range": f"bytes={len(DATA) - 10}-"})
    assert tail.status_code == 206 and tail.content == DATA[-10:]
    whole = _get(url, FILE)
    assert whole.status_code == 200 and whole.content == DATA
    assert whole.headers["accept-ranges"] == "bytes"


def test_a_range_past_the_end_gets_416(seed: tuple[str, StoreConfig]) -> None:
    url, _ = seed
    response = _get(url, FILE, {"Range": f"bytes={len(DATA)}-{len(DATA) + 100}"})
    assert response.status_code == 416


@pytest.mark.parametrize(
    "path",
    [
        "/seed/b1/",
        "/seed/b1/My%20Show/",
        "/seed/b1/My%20Show/missing.mp4",
        "/seed/%2e%2e/keys/secret.pem",
        "/seed/b1/..%2f..%2fkeys/secret.pem",
    ],
)
def test_no_listings_no_missing_files_nothing_outside_the_content_folder(
    seed: tuple[str, StoreConfig], path: str
) -> None:
    url, _ = seed
    response = _get(url, path)
    assert response.status_code == 404
    assert b"never served" not in response.content
