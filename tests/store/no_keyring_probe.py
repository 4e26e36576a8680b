"""Run in a child process whose environment has no usable keyring; prints one JSON report on its last line.

`python -m tests.store.no_keyring_probe STORE_URL FREE_BUNDLE PAID_BUNDLE SENTINEL` does what a fan would:
browse, fetch a free bundle's torrent, try to sign up, try to buy; and hands the vault a token (`SENTINEL`) to
keep, so the parent can prove no file anywhere received it.
"""

from __future__ import annotations

import json
import sys
import uuid

from app.store.account import StoreAccount
from app.store.client import StoreClient
from app.store.errors import StoreError, VaultUnavailable
from app.store.models import Card
from app.store.vault import AccountToken, LicenseVault

GOOD = Card("4242424242424242", 12, 2040, "123")


def main() -> None:
    url, free_bundle, paid_bundle, sentinel = sys.argv[1:5]
    report: dict[str, object] = {}
    vault = LicenseVault()
    report["backend"] = vault.backend_name
    report["available"] = vault.available
    with StoreClient(url) as client:
        account = StoreAccount(client, vault, store_ref="probe-store")
        report["store_name"] = account.connect().name
        report["catalog_items"] = len(client.catalog().items)
        report["free_torrent_bytes"] = len(client.download_torrent(free_bundle))
        email = f"probe-{uuid.uuid4().hex[:8]}@example.org"
        try:
            account.sign_up(email, sentinel)
            report["sign_up"] = "ok"
        except VaultUnavailable as exc:
            report["sign_up"] = exc.user_message
        try:
            vault.save_account("probe-store", AccountToken(sentinel, "acc", email, None))
            report["save_account"] = "ok"
        except VaultUnavailable as exc:
            report["save_account"] = exc.user_message
        # A token obtained without the vault (say, by an older session): buying must still refuse before paying.
        client.create_account(email, sentinel)
        token = client.sign_in(email, sentinel).token
        try:
            account.buy(paid_bundle, GOOD)
            report["buy"] = "ok"
        except StoreError as exc:
            report["buy"] = f"{type(exc).__name__}: {exc.user_message}"
        report["licenses_at_store"] = len(client.licenses(token))
    print(json.dumps(report))


if __name__ == "__main__":
    main()
