"""`LicenseVault`: the account token, the pinned store key and every license, kept in the OS keyring.

Layout (keyring service "Bundlecast"; one entry per item, each value well under 2 KiB so every OS keyring holds it):
  "<store> key"                 {"store_id", "public_key"} — the store's Ed25519 key, pinned on first contact
  "<store> account"             {"token", "account_id", "email", "expires_at"}
  "<store> licenses[/<n>]"      {"ids": [...], "more": bool} — the index: keyrings cannot list their entries
  "<store> license <id>"        the license token as the store signed it
`<store>` is the caller's stable name for a store (its URL, or the embedded store's name). The pin lives in the
keyring beside the licenses it protects: `forget_store` drops all of it together, and without a keyring there
are no licenses to protect, so a pin in a plain file would buy nothing.

Every license is verified against the pinned key when saved AND when loaded; an entry that fails is dropped with a
log line and removed, never trusted. Loaded once per process, then served from memory (`reload=True` reads again).
With no usable backend every call raises `VaultUnavailable`; the vault never falls back to a plaintext file
(a `keyrings.alt` backend is refused outright).

Blocking (keyring calls go over D-Bus or the OS API): call it from worker threads. Thread-safe: a lock orders the
index updates.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import keyring
import keyring.backend
import keyring.errors
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from keyring.backends import chainer, fail, null

from app.bundle import BundleError, License, load_public_key, verify_license
from app.store.errors import LicenseInvalid, StoreError, StoreKeyChanged, VaultUnavailable

log = logging.getLogger(__name__)

SERVICE = "Bundlecast"
_IDS_PER_INDEX_ENTRY = 30  # keeps each index entry < 1 KiB: Windows Credential Manager stops at 2,560 bytes
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class AccountToken:
    """The signed-in account of one store. `repr` hides the token (it is a password in all but name)."""

    token: str
    account_id: str
    email: str
    expires_at: datetime | None

    def __repr__(self) -> str:
        return f"AccountToken(account_id={self.account_id!r}, email={self.email!r}, token=<hidden>)"


@dataclass(frozen=True, slots=True)
class StorePin:
    store_id: str
    public_key_b64: str

    @property
    def public_key(self) -> Ed25519PublicKey:
        return load_public_key(self.public_key_b64)


def unusable_reason(backend: keyring.backend.KeyringBackend) -> str | None:
    """Why `backend` cannot keep secrets safely (None when it can)."""
    if isinstance(backend, fail.Keyring):
        return "no keyring backend is available"
    if isinstance(backend, null.Keyring):
        return "the keyring is disabled (null backend)"
    chained = list(backend.backends) if isinstance(backend, chainer.ChainerBackend) else [backend]
    if not chained:
        return "no keyring backend is available"
    for each in chained:
        if type(each).__module__.startswith("keyrings.alt"):
            # keyrings.alt writes "encrypted" or plain files next to the user's data: never for our secrets.
            return f"{type(each).__name__} stores secrets in a plain file, which Bundlecast refuses"
    return None


# D-Bus errors that mean the Secret Service's process went away while a call waited for its answer.
_SERVICE_GONE = frozenset({
    "org.freedesktop.DBus.Error.NoReply",
    "org.freedesktop.DBus.Error.ServiceUnknown",
    "org.freedesktop.DBus.Error.NameHasNoOwner",
})


def _service_went_away(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) says the keyring service vanished mid-call: SecretStorage's
    ``SecretServiceNotAvailableException`` or a D-Bus error reply named in ``_SERVICE_GONE`` (matched by name, so the
    vault does not depend on the backend's own modules)."""
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return False
        if type(seen).__name__ == "SecretServiceNotAvailableException" or getattr(seen, "name", None) in _SERVICE_GONE:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


class LicenseVault:
    """See the module docstring."""

    def __init__(self, backend: keyring.backend.KeyringBackend | None = None, service: str = SERVICE) -> None:
        self.service = service
        self._backend = backend if backend is not None else keyring.get_keyring()
        self._reason = unusable_reason(self._backend)
        self._lock = threading.RLock()
        # Verified licenses per store, once read in full. Every keyring call is a D-Bus round trip (~25 ms each
        # here, see bench/vault.py), and the Library, bundle pages and player ask often; this process is the
        # only writer, so memory stays exact. Entries changed behind our back are caught at the next load.
        self._loaded: dict[str, dict[str, License]] = {}
        self._pins: dict[str, StorePin] = {}

    # --- availability -----------------------------------------------------------------------------------------

    @property
    def available(self) -> bool:
        """False when no usable keyring backend was found (a locked keyring shows up on first use instead)."""
        return self._reason is None

    @property
    def backend_name(self) -> str:
        return f"{type(self._backend).__module__}.{type(self._backend).__name__}"

    def check(self) -> None:
        """Raise VaultUnavailable unless the keyring answers (reads one entry: unlocks it, or fails clearly)."""
        self._get("vault-check")

    # --- raw keyring access: every backend failure becomes VaultUnavailable -------------------------------------

    def _call(self, what: str, op: Callable[[], _T]) -> _T:
        if self._reason is not None:
            raise VaultUnavailable(detail=f"{self.backend_name}: {self._reason}")
        for attempt in (1, 2):
            try:
                return op()
            except Exception as exc:  # sorted below; anything else (a bug) is re-raised as it is
                gone = _service_went_away(exc)
                if gone and attempt == 1:
                    # The Secret Service's daemon died while answering (gnome-keyring aborts on a GLib assertion
                    # now and then); D-Bus starts it again for the next call, over the same keyring files. Every call
                    # here is a whole read, write or delete of one entry, so making it once more is safe.
                    log.warning("the keyring service went away during %s; asking again", what)
                    continue
                if gone or isinstance(exc, (keyring.errors.KeyringError, OSError, RuntimeError)):
                    # KeyringLocked, NoKeyringError, InitError("Prompt dismissed"), the D-Bus connection or the
                    # service going away (twice).
                    raise VaultUnavailable(detail=f"{what}: {type(exc).__name__}: {exc}") from exc
                raise
        raise AssertionError("unreachable: the second attempt returns or raises")

    def _get(self, name: str) -> str | None:
        value: str | None = self._call(f"read {name}", lambda: self._backend.get_password(self.service, name))
        return value

    def _set(self, name: str, value: str) -> None:
        self._call(f"write {name}", lambda: self._backend.set_password(self.service, name, value))

    def _delete(self, name: str) -> None:
        def op() -> None:
            # Already gone is fine: deleting is idempotent for us.
            with contextlib.suppress(keyring.errors.PasswordDeleteError):
                self._backend.delete_password(self.service, name)

        self._call(f"delete {name}", op)

    def _get_json(self, name: str) -> Any:
        text = self._get(name)
        if text is None:
            return None
        try:
            return json.loads(text)
        except ValueError:
            log.warning("keyring entry %r of %s is not JSON; ignoring it", name, self.service)
            return None

    # --- the store's key ----------------------------------------------------------------------------------------

    def pin(self, store: str) -> StorePin | None:
        with self._lock:
            if store in self._pins:
                return self._pins[store]
            data = self._get_json(f"{store} key")
            if not isinstance(data, dict) or not isinstance(data.get("public_key"), str):
                return None
            pin = StorePin(store_id=str(data.get("store_id", "")), public_key_b64=data["public_key"])
            self._pins[store] = pin
            return pin

    def pin_store_key(self, store: str, store_id: str, public_key_b64: str) -> Ed25519PublicKey:
        """Trust `public_key_b64` for `store` on first contact; afterwards accept only that same key."""
        try:
            key = load_public_key(public_key_b64)
        except BundleError as exc:
            raise StoreError("The store sent an unusable signing key.", detail=str(exc)) from exc
        with self._lock:
            pinned = self.pin(store)
            if pinned is None:
                self._set(f"{store} key", json.dumps({"store_id": store_id, "public_key": public_key_b64}))
                self._pins[store] = StorePin(store_id=store_id, public_key_b64=public_key_b64)
                log.info("pinned the signing key of store %s (%s)", store, store_id)
                return key
            if pinned.public_key_b64 != public_key_b64 or pinned.store_id != store_id:
                log.warning(
                    "store %s now presents key %s (store id %s); pinned was %s (%s): refused",
                    store, public_key_b64, store_id, pinned.public_key_b64, pinned.store_id,
                )  # fmt: skip
                raise StoreKeyChanged(detail=f"{store}: pinned {pinned.public_key_b64}, offered {public_key_b64}")
            return key

    def _pinned(self, store: str) -> StorePin:
        pin = self.pin(store)
        if pin is None:
            raise StoreError(
                "Bundlecast hasn't checked this store's identity yet. Open the store and try again.",
                detail=f"no pinned key for {store}",
            )
        return pin

    # --- the account ------------------------------------------------------------------------------------------

    def save_account(self, store: str, account: AccountToken) -> None:
        data = {
            "token": account.token,
            "account_id": account.account_id,
            "email": account.email,
            "expires_at": account.expires_at.isoformat() if account.expires_at else None,
        }
        self._set(f"{store} account", json.dumps(data))

    def account(self, store: str) -> AccountToken | None:
        data = self._get_json(f"{store} account")
        if not isinstance(data, dict) or not isinstance(data.get("token"), str):
            return None
        expires = data.get("expires_at")
        try:
            expires_at = datetime.fromisoformat(expires) if isinstance(expires, str) else None
        except ValueError:
            expires_at = None
        return AccountToken(
            token=data["token"],
            account_id=str(data.get("account_id", "")),
            email=str(data.get("email", "")),
            expires_at=expires_at,
        )

    def delete_account(self, store: str) -> None:
        self._delete(f"{store} account")

    # --- licenses ---------------------------------------------------------------------------------------------

    def save_license(self, store: str, token: str) -> License:
        """Verify `token` against the store's pinned key and keep it. Raises LicenseInvalid if it fails."""
        saved, rejected = self.save_licenses(store, [token])
        if rejected:
            raise LicenseInvalid(detail=f"{store}: a license failed verification on save")
        return saved[0]

    def save_licenses(self, store: str, tokens: Sequence[str]) -> tuple[list[License], int]:
        """Verify and keep many licenses with one index update (restoring purchases); returns (saved, rejected).

        Each keyring call is a D-Bus round trip, so the index is rewritten once, not once per license.
        """
        pin = self._pinned(store)
        verified = [(lic, token) for token in tokens if (lic := self._verify(store, pin, token)) is not None]
        rejected = len(tokens) - len(verified)
        with self._lock:
            ids = self._read_index(store)
            known = set(ids)
            for license_, token in verified:
                if license_.license_id in known:
                    continue  # kept already (an id is indexed only after its entry is written): no D-Bus trip
                # The entry first, then the index: a crash in between leaves an unlisted entry, never a dangling id.
                self._set(f"{store} license {license_.license_id}", token)
            new_ids = [lic.license_id for lic, _ in verified if lic.license_id not in known]
            if new_ids:
                self._write_index(store, ids + list(dict.fromkeys(new_ids)))
            if store in self._loaded or set(ids) <= {lic.license_id for lic, _ in verified}:
                # Memory now holds every license of the store (or already did): no need to read them back.
                loaded = self._loaded.setdefault(store, {})
                loaded.update((lic.license_id, lic) for lic, _ in verified)
        for license_, _ in verified:
            if license_.license_id not in known:
                log.info("license %s for bundle %s saved (store %s)", license_.license_id, license_.bundle_id, store)
        return [lic for lic, _ in verified], rejected

    def licenses(self, store: str, *, reload: bool = False) -> list[License]:
        """Every license kept for `store`, verified when read from the keyring; tampered or unreadable entries
        are removed. Read once per process (then from memory) unless `reload`."""
        with self._lock:
            if store in self._loaded and not reload:
                return list(self._loaded[store].values())
            if reload:
                self._pins.pop(store, None)
            pin = self.pin(store)
            if pin is None:
                return []
            kept: dict[str, License] = {}
            dropped: list[str] = []
            for license_id in self._read_index(store):
                token = self._get(f"{store} license {license_id}")
                license_ = None if token is None else self._verify(store, pin, token)
                if license_ is None or license_.license_id != license_id:
                    log.warning("license %s of store %s is missing or fails verification: dropped", license_id, store)
                    dropped.append(license_id)
                    self._delete(f"{store} license {license_id}")
                else:
                    kept[license_id] = license_
            if dropped:
                self._write_index(store, list(kept))
            self._loaded[store] = kept
            return list(kept.values())

    def licenses_for_bundle(self, store: str, bundle_id: str) -> list[License]:
        return [lic for lic in self.licenses(store) if lic.bundle_id == bundle_id]

    def remove_licenses(self, store: str, license_ids: Sequence[str]) -> None:
        gone = set(license_ids)
        with self._lock:
            for license_id in gone:
                self._delete(f"{store} license {license_id}")
                self._loaded.get(store, {}).pop(license_id, None)
            self._write_index(store, [i for i in self._read_index(store) if i not in gone])

    def forget_store(self, store: str) -> None:
        """Remove everything kept for `store`: licenses, index, account token and the pinned key."""
        with self._lock:
            for license_id in self._read_index(store):
                self._delete(f"{store} license {license_id}")
            self._write_index(store, [])
            self._delete(f"{store} account")
            self._delete(f"{store} key")
            self._loaded.pop(store, None)
            self._pins.pop(store, None)

    def _verify(self, store: str, pin: StorePin, token: str) -> License | None:
        try:
            license_ = verify_license(token, pin.public_key)
        except BundleError as exc:
            log.warning("a license for store %s failed verification: %s", store, exc)
            return None
        if pin.store_id and license_.store_id != pin.store_id:
            log.warning("license %s names store %r, not %r", license_.license_id, license_.store_id, pin.store_id)
            return None
        return license_

    # --- the index (keyrings cannot enumerate) ----------------------------------------------------------------

    def _index_entries(self, store: str) -> Iterator[str]:
        yield f"{store} licenses"
        n = 1
        while True:
            yield f"{store} licenses/{n}"
            n += 1

    def _read_index(self, store: str) -> list[str]:
        ids: list[str] = []
        for name in self._index_entries(store):
            data = self._get_json(name)
            if not isinstance(data, dict):
                break
            ids.extend(str(i) for i in data.get("ids", []) if isinstance(i, str) and i not in ids)
            if not data.get("more"):
                break
        return ids

    def _write_index(self, store: str, ids: list[str]) -> None:
        pages = [ids[i : i + _IDS_PER_INDEX_ENTRY] for i in range(0, len(ids), _IDS_PER_INDEX_ENTRY)]
        names = self._index_entries(store)
        # Write the tail pages first, so a reader never follows "more" to a page not yet written.
        page_names = [next(names) for _ in pages]
        for number in reversed(range(len(pages))):
            more = number < len(pages) - 1
            self._set(page_names[number], json.dumps({"ids": pages[number], "more": more}))
        stale = next(names)
        while self._get(stale) is not None:
            self._delete(stale)
            stale = next(names)
