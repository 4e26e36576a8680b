"""Fixtures of the library tests: the demo storefront subprocess and a keyring service of each test's own."""

from __future__ import annotations

from tests.ui.store_fixtures import demo_store_url, keyring_service  # noqa: F401
