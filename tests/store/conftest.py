"""Fixtures of the store client's tests (defined in keyring_support, shared with tests/integration)."""

from tests.store.keyring_support import keyring_service, make_license, store_key

__all__ = ["keyring_service", "make_license", "store_key"]
