"""Shared fixtures. Each package's tests keep their own fixtures in their own conftest."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.player.server import StreamServer
from tests.support.net import loopback_address

# The suite's guards: no modal dialog outlives its test, the demo media are generated before the first test; where
# its time went, by file, at the end of every run; and an X server of its own for each pytest-xdist worker.
pytest_plugins = ["tests.support.harness", "tests.support.suite_time", "tests.support.worker_display"]


@pytest.fixture
def loopback() -> str:
    """A loopback address of its own for one test peer."""
    return loopback_address()


@pytest.fixture
def server() -> Iterator[StreamServer]:
    """The player's loopback stream server (127.0.0.1, a token in every URL), started, and stopped after the test."""
    server = StreamServer()
    server.start()
    yield server
    server.stop()
