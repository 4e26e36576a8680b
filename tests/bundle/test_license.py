"""License tokens: issue, verify, and refuse every altered byte."""

from __future__ import annotations

import os

import pytest

from app.bundle import (
    BundleError,
    Grant,
    GrantScope,
    InvalidSignatureError,
    MalformedError,
    StoreKey,
    derive_file_key,
    issue_license,
    verify_license,
)


@pytest.fixture(scope="module")
def store_key() -> StoreKey:
    return StoreKey.generate()


def test_a_season_pass_opens_files_released_later(store_key: StoreKey) -> None:
    bundle_key = os.urandom(32)
    _, token = issue_license(
        store_key, store_id="demo", account_id="acc1", bundle_id="b1", grant=Grant.whole_bundle(bundle_key)
    )
    lic = verify_license(token, store_key.public_key)
    assert lic.bundle_id == "b1" and lic.account_id == "acc1" and lic.store_id == "demo"
    assert lic.grant.scope is GrantScope.BUNDLE
    assert lic.file_key("Episode 09 (released next year).mp4") == derive_file_key(
        bundle_key, "Episode 09 (released next year).mp4"
    )


def test_a_files_grant_opens_only_its_files(store_key: StoreKey) -> None:
    bundle_key = os.urandom(32)
    _, token = issue_license(
        store_key,
        store_id="demo",
        account_id="acc1",
        bundle_id="b1",
        grant=Grant.for_files(bundle_key, ["ep1.mp4", "ep2.mp4"]),
    )
    lic = verify_license(token, store_key.public_key)
    assert lic.file_key("ep1.mp4") == derive_file_key(bundle_key, "ep1.mp4")
    assert lic.opens("ep2.mp4")
    assert lic.file_key("ep3.mp4") is None


def test_tokens_fit_every_keyring(store_key: StoreKey) -> None:
    bundle_key = os.urandom(32)
    paths = [f"Season 1/Episode {i:02d} - A title of fair length.mp4" for i in range(1, 9)]
    _, token = issue_license(
        store_key,
        store_id="bundlecast-demo-store",
        account_id="a" * 32,
        bundle_id="b" * 32,
        grant=Grant.for_files(bundle_key, paths),
    )
    assert len(token) < 2048


def test_flipping_any_single_character_fails_verification(store_key: StoreKey) -> None:
    _, token = issue_license(
        store_key, store_id="demo", account_id="acc", bundle_id="b1", grant=Grant.whole_bundle(os.urandom(32))
    )
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."
    for i, ch in enumerate(token):
        replacement = alphabet[(alphabet.index(ch) + 1) % len(alphabet)]
        forged = token[:i] + replacement + token[i + 1 :]
        with pytest.raises(BundleError):
            verify_license(forged, store_key.public_key)


def test_flipping_any_bit_of_the_payload_fails(store_key: StoreKey) -> None:
    from app.bundle import b64url_decode, b64url_encode

    _, token = issue_license(
        store_key, store_id="demo", account_id="acc", bundle_id="b1", grant=Grant.whole_bundle(os.urandom(32))
    )
    prefix, payload_b64, signature = token.split(".")
    payload = b64url_decode(payload_b64)
    for i in range(len(payload)):
        for bit in (0x01, 0x80):
            altered = bytearray(payload)
            altered[i] ^= bit
            forged = f"{prefix}.{b64url_encode(bytes(altered))}.{signature}"
            with pytest.raises(BundleError):
                verify_license(forged, store_key.public_key)


def test_another_stores_key_is_refused(store_key: StoreKey) -> None:
    _, token = issue_license(
        store_key, store_id="demo", account_id="acc", bundle_id="b1", grant=Grant.whole_bundle(os.urandom(32))
    )
    with pytest.raises(InvalidSignatureError):
        verify_license(token, StoreKey.generate().public_key)


@pytest.mark.parametrize("token", ["", "bcl1", "bcl1..", "bcl2.e30.AA", "not a token", "bcl1.e30.e30.e30"])
def test_garbage_is_malformed(store_key: StoreKey, token: str) -> None:
    with pytest.raises(MalformedError):
        verify_license(token, store_key.public_key)


def test_store_key_persists_with_private_permissions(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "keys" / "store-signing.pem"
    first = StoreKey.load_or_create(path)
    second = StoreKey.load_or_create(path)
    assert first.public_key_b64 == second.public_key_b64
    assert path.stat().st_mode & 0o777 == 0o600
