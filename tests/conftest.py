"""Shared fixtures. Each package's tests keep their own fixtures in their own conftest."""

from __future__ import annotations

import pytest

from tests.support.net import loopback_address


@pytest.fixture
def loopback() -> str:
    """A loopback address of its own for one test peer."""
    return loopback_address()
