"""The store service's configuration: one frozen ``StoreConfig`` built once at start and injected everywhere.

Paths on disk (all under ``data_dir`` unless overridden):
- ``store.db``                 the SQLite database (default ``database_url``; ``DATABASE_URL`` picks another)
- ``keys/store_signing_key.pem``  the Ed25519 signing key (outside the database, mode 0600)
- ``keys/bundle_wrap.key``     the AES key that wraps every bundle key stored in the database (mode 0600)
- ``content/<bundle_id>/``     exactly what the bundle's torrent holds (ciphertext for locked files)
- ``torrents/<bundle_id>.torrent``  the .torrent as published
- ``covers/<bundle_id>.png``   cover images

Pure data; safe from any thread.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

DEFAULT_STORE_ID = "bundlecast-demo"
DEFAULT_NAME = "Bundlecast Demo Store"


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """Where the e-mail gate's codes are sent from. Absent: no mail (demo mode shows the code instead)."""

    host: str
    port: int = 25
    sender: str = "store@bundlecast.invalid"
    username: str | None = None
    password: str | None = field(default=None, repr=False)  # never printed
    starttls: bool = False
    timeout_s: float = 10.0


@dataclass(frozen=True, slots=True)
class StripeSettings:
    """Stripe's keys (from the environment or a key file outside the repository; never printed or logged)."""

    secret_key: str = field(repr=False)
    webhook_secret: str = field(default="", repr=False)
    api_base: str = ""  # empty: Stripe's own; tests point it at a local server on 127.0.0.1

    @property
    def test_mode(self) -> bool:
        return self.secret_key.startswith(("sk_test_", "rk_test_"))


def load_stripe_settings(env: Mapping[str, str]) -> StripeSettings | None:
    """``STRIPE_SECRET_KEY``/``STRIPE_WEBHOOK_SECRET``, or ``BUNDLECAST_STRIPE_KEY_FILE`` (``name=value`` lines
    with ``secret_key`` and ``webhook_secret``); ``BUNDLECAST_STRIPE_API_BASE`` overrides Stripe's address."""
    values = {"secret_key": env.get("STRIPE_SECRET_KEY", ""), "webhook_secret": env.get("STRIPE_WEBHOOK_SECRET", "")}
    key_file = env.get("BUNDLECAST_STRIPE_KEY_FILE")
    if key_file:
        for line in Path(key_file).read_text().splitlines():
            name, sep, value = line.partition("=")
            if sep and name.strip() in values:
                values[name.strip()] = value.strip()
    if not values["secret_key"]:
        return None
    return StripeSettings(api_base=env.get("BUNDLECAST_STRIPE_API_BASE", "").rstrip("/"), **values)


@dataclass(frozen=True, slots=True)
class StoreConfig:
    data_dir: Path
    database_url: str = ""  # empty: a SQLite file in data_dir
    public_base_url: str = "http://127.0.0.1:8750"  # no trailing slash; set to the real URL once listening
    store_id: str = DEFAULT_STORE_ID
    name: str = DEFAULT_NAME
    fee_percent: int = 10  # the store's cut of every sale, on the gross
    demo: bool = False  # demo mode: test cards listed, e-mail codes shown when no SMTP
    smtp: SmtpSettings | None = None
    signing_key_path: Path | None = None  # default data_dir/keys/store_signing_key.pem
    wrap_key_path: Path | None = None  # default data_dir/keys/bundle_wrap.key
    session_ttl_s: int = 30 * 24 * 3600
    signin_max_failures: int = 5  # failed sign-ins per e-mail address within the window before 429
    signin_max_failures_per_client: int = 30  # failed sign-ins from one IP address, any addresses
    signin_window_s: int = 300
    campaign_poll_s: float = 5.0  # how often the server looks for campaigns past their deadline
    draft_max_age_s: float = 7 * 24 * 3600.0  # a publishing draft idle this long is swept (storefront.draft_sweep)
    idempotency_wait_s: float = 20.0  # how long a duplicate request waits for the first one to finish
    payment_latency_s: float = 0.0  # test-card provider: simulated network time per call (crash tests)
    cache_dir: Path | None = None  # demo media cache (content engineer); default data_dir/../cache
    external_tracker_url: str = ""  # an external tracker's announce URL (opentracker); empty: the built-in one
    payment_provider: str = "testcard"  # "testcard" (embedded default) | "stripe" (needs ``stripe``)
    stripe: StripeSettings | None = None

    # --- derived locations -------------------------------------------------------------------------------
    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'store.db'}"

    @property
    def is_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite")

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"

    @property
    def effective_signing_key_path(self) -> Path:
        return self.signing_key_path or self.keys_dir / "store_signing_key.pem"

    @property
    def effective_wrap_key_path(self) -> Path:
        return self.wrap_key_path or self.keys_dir / "bundle_wrap.key"

    @property
    def content_root(self) -> Path:
        return self.data_dir / "content"

    def content_dir(self, bundle_id: str) -> Path:
        """Where a bundle's files live: the folder that holds the torrent's top directory (web seed root)."""
        return self.content_root / bundle_id

    @property
    def torrents_dir(self) -> Path:
        return self.data_dir / "torrents"

    def torrent_path(self, bundle_id: str) -> Path:
        return self.torrents_dir / f"{bundle_id}.torrent"

    @property
    def covers_dir(self) -> Path:
        return self.data_dir / "covers"

    @property
    def effective_cache_dir(self) -> Path:
        return self.cache_dir or self.data_dir.parent / "cache"

    # --- URLs the store hands out ------------------------------------------------------------------------
    @property
    def tracker_url(self) -> str:
        return self.external_tracker_url or f"{self.public_base_url}/announce"

    def web_seed_url(self, bundle_id: str) -> str:
        return f"{self.public_base_url}/seed/{bundle_id}/"

    def api_url(self, path: str) -> str:
        return f"{self.public_base_url}/api/v1{path}"

    # --- building ----------------------------------------------------------------------------------------
    def with_public_base_url(self, url: str) -> StoreConfig:
        return replace(self, public_base_url=url.rstrip("/"))

    def ensure_dirs(self) -> None:
        for path in (self.data_dir, self.keys_dir, self.content_root, self.torrents_dir, self.covers_dir):
            path.mkdir(parents=True, exist_ok=True)
        self.keys_dir.chmod(0o700)

    @classmethod
    def from_env(cls, data_dir: Path, *, env: Mapping[str, str] | None = None, **overrides: object) -> StoreConfig:
        """A config for ``data_dir`` with the environment's settings (``DATABASE_URL``, ``BUNDLECAST_STORE_*``).

        Explicit ``overrides`` win over the environment.
        """
        env = os.environ if env is None else env
        values: dict[str, object] = {"data_dir": Path(data_dir)}
        if env.get("DATABASE_URL"):
            values["database_url"] = env["DATABASE_URL"]
        if env.get("BUNDLECAST_STORE_ID"):
            values["store_id"] = env["BUNDLECAST_STORE_ID"]
        if env.get("BUNDLECAST_STORE_NAME"):
            values["name"] = env["BUNDLECAST_STORE_NAME"]
        if env.get("BUNDLECAST_STORE_FEE_PERCENT"):
            values["fee_percent"] = int(env["BUNDLECAST_STORE_FEE_PERCENT"])
        if env.get("BUNDLECAST_STORE_PUBLIC_URL"):
            values["public_base_url"] = env["BUNDLECAST_STORE_PUBLIC_URL"].rstrip("/")
        if env.get("BUNDLECAST_SMTP_HOST"):
            values["smtp"] = SmtpSettings(
                host=env["BUNDLECAST_SMTP_HOST"],
                port=int(env.get("BUNDLECAST_SMTP_PORT", "25")),
                sender=env.get("BUNDLECAST_SMTP_SENDER", "store@bundlecast.invalid"),
                username=env.get("BUNDLECAST_SMTP_USERNAME") or None,
                password=env.get("BUNDLECAST_SMTP_PASSWORD") or None,
                starttls=env.get("BUNDLECAST_SMTP_STARTTLS", "") in ("1", "true", "yes"),
            )
        if env.get("BUNDLECAST_CAMPAIGN_POLL_S"):
            values["campaign_poll_s"] = float(env["BUNDLECAST_CAMPAIGN_POLL_S"])
        if env.get("BUNDLECAST_DRAFT_MAX_AGE_H"):
            values["draft_max_age_s"] = float(env["BUNDLECAST_DRAFT_MAX_AGE_H"]) * 3600
        if env.get("BUNDLECAST_STORE_DEMO", "") in ("1", "true", "yes"):
            values["demo"] = True
        if env.get("BUNDLECAST_TESTCARD_LATENCY_MS"):
            values["payment_latency_s"] = float(env["BUNDLECAST_TESTCARD_LATENCY_MS"]) / 1000
        if env.get("BUNDLECAST_TRACKER_URL"):
            values["external_tracker_url"] = env["BUNDLECAST_TRACKER_URL"]
        if env.get("BUNDLECAST_PAYMENT_PROVIDER"):
            values["payment_provider"] = env["BUNDLECAST_PAYMENT_PROVIDER"]
            values["stripe"] = load_stripe_settings(env)
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]
