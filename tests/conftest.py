"""Shared fixtures. Each package's tests keep their own fixtures in their own conftest."""

from __future__ import annotations

import pytest

from tests.support.net import loopback_address

# The suite's guards: no modal dialog outlives its test, the demo media are generated before the first test.
pytest_plugins = ["tests.support.harness"]


@pytest.fixture
def loopback() -> str:
    """A loopback address of its own for one test peer."""
    return loopback_address()
