"""Keyring fixtures of the store client's tests: a private keyring service name per test, store keys, licenses.

The vault tests go through the real Secret Service that `scripts/run-tests.sh` provides (gnome-keyring in a private
D-Bus session). Each test gets its own keyring service name, so tests never see each other's entries, and every
entry of that service is deleted afterwards (checked straight through the Secret Service, not through our code).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import closing

import pytest

from app.bundle import Grant, StoreKey, issue_license


def secret_service_items(service: str) -> list[tuple[str, str]]:
    """(entry name, secret) of every Secret Service item stored under `service`, as Seahorse would show them."""
    import secretstorage

    with closing(secretstorage.dbus_init()) as bus:
        collection = secretstorage.get_default_collection(bus)
        return [
            (item.get_attributes()["username"], item.get_secret().decode())
            for item in collection.search_items({"service": service})
        ]


def delete_secret_service_items(service: str) -> None:
    import secretstorage

    with closing(secretstorage.dbus_init()) as bus:
        collection = secretstorage.get_default_collection(bus)
        for item in collection.search_items({"service": service}):
            item.delete()


def require_secret_service() -> None:
    import keyring
    from keyring.backends import SecretService

    if not isinstance(keyring.get_keyring(), SecretService.Keyring):
        pytest.fail(
            "no Secret Service on this D-Bus session: run the store tests through scripts/run-tests.sh",
            pytrace=False,
        )


@pytest.fixture
def keyring_service() -> Iterator[str]:
    """A keyring service name of this test's own; everything under it is removed afterwards."""
    require_secret_service()
    service = f"Bundlecast-test-{uuid.uuid4().hex[:12]}"
    yield service
    delete_secret_service_items(service)


@pytest.fixture(scope="session")
def store_key() -> StoreKey:
    return StoreKey.generate()


@pytest.fixture
def make_license(store_key: StoreKey) -> Callable[..., tuple[str, str]]:
    """Issue a license token signed by `store_key` (or `key=`); returns (license_id, token)."""

    def issue(
        bundle_id: str = "bundle-1",
        *,
        key: StoreKey | None = None,
        store_id: str = "store-test",
        account_id: str = "acc-1",
    ) -> tuple[str, str]:
        lic, token = issue_license(
            key or store_key,
            store_id=store_id,
            account_id=account_id,
            bundle_id=bundle_id,
            grant=Grant.whole_bundle(uuid.uuid4().bytes * 2),
        )
        return lic.license_id, token

    return issue
