"""The store client: the store's HTTP API (requests), the license vault (keyring), the account flows, and the
embedded demo store's launcher. No Qt; every verb blocks, so the UI calls them from worker threads.

- `StoreClient` (client.py): one verb per API call, frozen dataclasses back (models.py), typed errors (errors.py).
- `LicenseVault` (vault.py): account token, pinned store key and verified licenses in the OS keyring.
- `StoreAccount` (account.py): connect/pin, sign up/in/out, restore, claim, e-mail gate, buy, pledge.
- `EmbeddedStore` (embedded.py): `python -m storefront serve --demo` as a child process that dies with the app.
"""

from app.store.account import Purchased, RestoreResult, StoreAccount
from app.store.client import StoreClient
from app.store.embedded import EmbeddedStore
from app.store.errors import StoreError
from app.store.vault import AccountToken, LicenseVault

__all__ = [
    "AccountToken",
    "EmbeddedStore",
    "LicenseVault",
    "Purchased",
    "RestoreResult",
    "StoreAccount",
    "StoreClient",
    "StoreError",
]
