"""LicenseVault through the real Secret Service (gnome-keyring under dbus-run-session, see scripts/run-tests.sh)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

import keyring
import pytest

from app.bundle import StoreKey
from app.store.errors import LicenseInvalid, StoreError, StoreKeyChanged, VaultUnavailable
from app.store.vault import AccountToken, LicenseVault, unusable_reason
from tests.store.keyring_support import secret_service_items

STORE = "https://store.example"
IssueLicense = Callable[..., tuple[str, str]]


@pytest.fixture
def vault(keyring_service: str, store_key: StoreKey) -> LicenseVault:
    vault = LicenseVault(service=keyring_service)
    vault.pin_store_key(STORE, "store-test", store_key.public_key_b64)
    return vault


def test_a_saved_license_is_read_back_by_a_new_vault_from_the_secret_service(
    vault: LicenseVault, keyring_service: str, make_license: IssueLicense
) -> None:
    license_id, token = make_license("bundle-7")
    saved = vault.save_license(STORE, token)

    again = LicenseVault(service=keyring_service)  # a new process would build exactly this
    licenses = again.licenses(STORE)

    assert saved.license_id == license_id
    assert [(lic.license_id, lic.bundle_id) for lic in licenses] == [(license_id, "bundle-7")]
    assert again.licenses_for_bundle(STORE, "bundle-7")[0].file_key("ep1.mp4") == saved.file_key("ep1.mp4")
    assert again.licenses_for_bundle(STORE, "other") == []
    stored = [secret for _, secret in secret_service_items(keyring_service)]
    assert token in stored


def test_saving_a_license_twice_keeps_one_entry(vault: LicenseVault, make_license: IssueLicense) -> None:
    _, token = make_license()
    vault.save_license(STORE, token)
    vault.save_license(STORE, token)
    assert len(vault.licenses(STORE)) == 1


def test_a_license_signed_by_another_key_is_refused_and_nothing_is_stored(
    vault: LicenseVault, keyring_service: str, make_license: IssueLicense
) -> None:
    _, forged = make_license(key=StoreKey.generate())
    before = len(secret_service_items(keyring_service))

    with pytest.raises(LicenseInvalid) as raised:
        vault.save_license(STORE, forged)

    assert "didn't keep it" in raised.value.user_message
    assert vault.licenses(STORE) == []
    assert len(secret_service_items(keyring_service)) == before


def test_a_license_naming_another_store_is_refused(vault: LicenseVault, make_license: IssueLicense) -> None:
    _, token = make_license(store_id="some-other-store")
    with pytest.raises(LicenseInvalid):
        vault.save_license(STORE, token)


def test_a_license_cannot_be_saved_before_the_store_key_is_pinned(
    keyring_service: str, make_license: IssueLicense
) -> None:
    vault = LicenseVault(service=keyring_service)
    _, token = make_license()
    with pytest.raises(StoreError, match="identity"):
        vault.save_license(STORE, token)


def test_the_first_key_is_pinned_and_a_changed_key_is_refused_loudly(
    keyring_service: str, store_key: StoreKey, caplog: pytest.LogCaptureFixture
) -> None:
    vault = LicenseVault(service=keyring_service)
    assert vault.pin(STORE) is None
    vault.pin_store_key(STORE, "store-test", store_key.public_key_b64)
    vault.pin_store_key(STORE, "store-test", store_key.public_key_b64)  # same key again: fine

    impostor = StoreKey.generate()
    with caplog.at_level(logging.WARNING), pytest.raises(StoreKeyChanged) as raised:
        LicenseVault(service=keyring_service).pin_store_key(STORE, "store-test", impostor.public_key_b64)

    assert "signing key has changed" in raised.value.user_message
    assert "refused" in caplog.text
    pin = LicenseVault(service=keyring_service).pin(STORE)
    assert pin is not None and pin.public_key_b64 == store_key.public_key_b64


def test_a_store_answering_with_another_store_id_under_the_same_address_is_refused(
    vault: LicenseVault, store_key: StoreKey
) -> None:
    with pytest.raises(StoreKeyChanged):
        vault.pin_store_key(STORE, "a-different-store", store_key.public_key_b64)


def test_a_tampered_license_entry_is_dropped_with_a_log_line_and_removed(
    vault: LicenseVault, keyring_service: str, make_license: IssueLicense, caplog: pytest.LogCaptureFixture
) -> None:
    good_id, good = make_license("bundle-good")
    bad_id, bad = make_license("bundle-bad")
    vault.save_license(STORE, good)
    vault.save_license(STORE, bad)
    # While the app is closed, someone with access to the keyring swaps one character of a token's payload.
    payload_at = bad.index(".") + 5
    tampered = bad[:payload_at] + ("A" if bad[payload_at] != "A" else "B") + bad[payload_at + 1 :]
    keyring.get_keyring().set_password(keyring_service, f"{STORE} license {bad_id}", tampered)

    with caplog.at_level(logging.WARNING):
        licenses = LicenseVault(service=keyring_service).licenses(STORE)  # the next start

    assert [lic.license_id for lic in licenses] == [good_id]
    assert bad_id in caplog.text and "dropped" in caplog.text
    assert tampered not in caplog.text and bad not in caplog.text  # a token is a secret: never in the log
    assert keyring.get_keyring().get_password(keyring_service, f"{STORE} license {bad_id}") is None
    assert [lic.license_id for lic in LicenseVault(service=keyring_service).licenses(STORE)] == [good_id]


def test_a_license_swapped_into_another_entry_is_not_trusted(
    vault: LicenseVault, keyring_service: str, make_license: IssueLicense
) -> None:
    first_id, first = make_license("bundle-1")
    second_id, second = make_license("bundle-2")
    vault.save_license(STORE, first)
    vault.save_license(STORE, second)
    keyring.get_keyring().set_password(keyring_service, f"{STORE} license {second_id}", first)
    assert [lic.license_id for lic in vault.licenses(STORE, reload=True)] == [first_id]


def test_licenses_are_read_from_the_keyring_once_then_served_from_memory(
    vault: LicenseVault, keyring_service: str, make_license: IssueLicense
) -> None:
    ids = [vault.save_license(STORE, make_license(f"b{n}")[1]).license_id for n in range(3)]
    reader = LicenseVault(service=keyring_service)
    assert [lic.license_id for lic in reader.licenses(STORE)] == ids

    keyring.get_keyring().delete_password(keyring_service, f"{STORE} license {ids[0]}")  # behind its back

    assert [lic.license_id for lic in reader.licenses(STORE)] == ids  # memory: what was verified at load
    assert [lic.license_id for lic in reader.licenses(STORE, reload=True)] == ids[1:]


def test_many_licenses_restored_at_once_are_listed_through_a_paged_index(
    vault: LicenseVault, keyring_service: str, make_license: IssueLicense
) -> None:
    issued = [make_license(f"bundle-{n}") for n in range(65)]  # three index pages of 30
    _, forged = make_license(key=StoreKey.generate())

    saved, rejected = vault.save_licenses(STORE, [token for _, token in issued] + [forged])

    ids = [license_id for license_id, _ in issued]
    assert [lic.license_id for lic in saved] == ids and rejected == 1
    assert [lic.license_id for lic in LicenseVault(service=keyring_service).licenses(STORE)] == ids
    index_pages = [secret for name, secret in secret_service_items(keyring_service) if " licenses" in name]
    assert len(index_pages) == 3
    assert all(len(secret) < 1024 for secret in index_pages)

    vault.remove_licenses(STORE, ids[:35])
    vault.remove_licenses(STORE, [ids[35]])

    assert [lic.license_id for lic in LicenseVault(service=keyring_service).licenses(STORE)] == ids[36:]
    leftover_pages = [name for name, _ in secret_service_items(keyring_service) if " licenses" in name]
    assert len(leftover_pages) == 1


def test_the_account_token_is_kept_per_store_and_removed_on_request(keyring_service: str) -> None:
    vault = LicenseVault(service=keyring_service)
    expires = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    vault.save_account(STORE, AccountToken("secret-token-1", "acc-1", "fan@example.org", expires))
    vault.save_account("http://127.0.0.1:9999", AccountToken("secret-token-2", "acc-2", "b@example.org", None))

    account = LicenseVault(service=keyring_service).account(STORE)
    assert account == AccountToken("secret-token-1", "acc-1", "fan@example.org", expires)
    assert "secret-token-1" not in repr(account)

    vault.delete_account(STORE)
    assert vault.account(STORE) is None
    other = vault.account("http://127.0.0.1:9999")
    assert other is not None and other.token == "secret-token-2"
    vault.delete_account(STORE)  # deleting twice is not an error


def test_forgetting_a_store_removes_its_key_account_and_licenses_from_the_keyring(
    vault: LicenseVault, keyring_service: str, make_license: IssueLicense
) -> None:
    vault.save_account(STORE, AccountToken("tok", "acc", "fan@example.org", None))
    for n in range(3):
        vault.save_license(STORE, make_license(f"b{n}")[1])
    assert secret_service_items(keyring_service)

    vault.forget_store(STORE)

    assert secret_service_items(keyring_service) == []
    assert vault.pin(STORE) is None and vault.account(STORE) is None and vault.licenses(STORE) == []


def test_a_null_or_failing_backend_makes_every_call_raise_a_clear_error() -> None:
    from keyring.backends import fail, null

    for backend in (fail.Keyring(), null.Keyring()):
        vault = LicenseVault(backend=backend, service="unused")
        assert not vault.available
        with pytest.raises(VaultUnavailable) as raised:
            vault.save_account(STORE, AccountToken("tok", "acc", "e", None))
        assert "keyring" in raised.value.user_message and "Free bundles still work" in raised.value.user_message
        with pytest.raises(VaultUnavailable):
            vault.licenses(STORE)


def test_a_plaintext_file_backend_is_refused() -> None:
    class PlaintextKeyring(keyring.backend.KeyringBackend):  # the shape of keyrings.alt.file.PlaintextKeyring
        priority = 1  # type: ignore[assignment]

        def get_password(self, service: str, username: str) -> str | None:
            raise AssertionError("must never be used")

        def set_password(self, service: str, username: str, password: str) -> None:
            raise AssertionError("must never be used")

        def delete_password(self, service: str, username: str) -> None:
            raise AssertionError("must never be used")

    PlaintextKeyring.__module__ = "keyrings.alt.file"
    assert unusable_reason(PlaintextKeyring()) is not None
    with pytest.raises(VaultUnavailable):
        LicenseVault(backend=PlaintextKeyring(), service="unused").save_account(
            STORE, AccountToken("tok", "acc", "e", None)
        )
