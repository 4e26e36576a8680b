"""Turns the store's JSON answers into `app.store.models`, defensively.

A store is a remote party: any field may be missing, mistyped or absurd. Every accessor here checks the type and
raises `MalformedResponse` naming the field, so a bad answer becomes one clear error instead of a KeyError deep in
the UI. Unknown extra fields are ignored (a newer store may add some). Pure functions; any thread.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

from app.store.errors import MalformedResponse
from app.store.models import (
    AccountCreated,
    AccountPledge,
    BundleDetail,
    BundleSummary,
    Campaign,
    CampaignState,
    CatalogPage,
    CreatorReportLine,
    EmailCodeSent,
    FileInfo,
    Gate,
    GateType,
    LiveInfo,
    PledgeResult,
    PurchaseResult,
    ReleaseInfo,
    SignedManifestData,
    SignInResult,
    StoreInfo,
    Subscriber,
    SwarmHealth,
    TestCard,
)


class Fields:
    """Typed access to one JSON object; `where` names it in error messages ("bundle.files[2]")."""

    def __init__(self, data: object, where: str) -> None:
        if not isinstance(data, Mapping):
            raise _malformed(where, "an object", data)
        self._data: Mapping[str, Any] = data
        self.where = where

    def _get(self, key: str, optional: bool) -> Any:
        if key not in self._data or self._data[key] is None:
            if optional:
                return None
            raise MalformedResponse(detail=f"{self.where}.{key} is missing")
        return self._data[key]

    def text(self, key: str) -> str:
        value = self._get(key, optional=False)
        if not isinstance(value, str):
            raise _malformed(f"{self.where}.{key}", "a string", value)
        return value

    def opt_text(self, key: str) -> str | None:
        return None if self._get(key, optional=True) is None else self.text(key)

    def id(self, key: str) -> str:
        """An identifier: stores may send ids as strings or integers; we keep strings."""
        value = self._get(key, optional=False)
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise _malformed(f"{self.where}.{key}", "an id", value)
        return str(value)

    def integer(self, key: str, *, minimum: int | None = 0) -> int:
        value = self._get(key, optional=False)
        if isinstance(value, bool) or not isinstance(value, int):
            raise _malformed(f"{self.where}.{key}", "an integer", value)
        if minimum is not None and value < minimum:
            raise _malformed(f"{self.where}.{key}", f"an integer ≥ {minimum}", value)
        return value

    def opt_integer(self, key: str) -> int | None:
        return None if self._get(key, optional=True) is None else self.integer(key)

    def number(self, key: str) -> float:
        value = self._get(key, optional=False)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _malformed(f"{self.where}.{key}", "a number", value)
        return float(value)

    def opt_number(self, key: str) -> float | None:
        return None if self._get(key, optional=True) is None else self.number(key)

    def flag(self, key: str, default: bool | None = None) -> bool:
        value = self._get(key, optional=default is not None)
        if value is None:
            return bool(default)
        if not isinstance(value, bool):
            raise _malformed(f"{self.where}.{key}", "true or false", value)
        return value

    def time(self, key: str) -> datetime:
        return parse_time(self._get(key, optional=False), f"{self.where}.{key}")

    def opt_time(self, key: str) -> datetime | None:
        value = self._get(key, optional=True)
        return None if value is None else parse_time(value, f"{self.where}.{key}")

    def obj(self, key: str) -> Fields:
        return Fields(self._get(key, optional=False), f"{self.where}.{key}")

    def opt_obj(self, key: str) -> Fields | None:
        value = self._get(key, optional=True)
        return None if value is None else Fields(value, f"{self.where}.{key}")

    def items(self, key: str, *, optional: bool = False) -> list[Any]:
        value = self._get(key, optional=optional)
        if value is None:
            return []
        if not isinstance(value, list):
            raise _malformed(f"{self.where}.{key}", "a list", value)
        return value


def _malformed(where: str, expected: str, value: object) -> MalformedResponse:
    shown = repr(value)
    return MalformedResponse(detail=f"{where} should be {expected}, got {shown[:60]}")


def parse_time(value: object, where: str) -> datetime:
    """ISO 8601 text or a Unix timestamp → an aware datetime (naive text is taken as UTC)."""
    if isinstance(value, bool):
        raise _malformed(where, "a time", value)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, tz=UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise _malformed(where, "an ISO 8601 time", value) from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise _malformed(where, "a time", value)


_E = TypeVar("_E", GateType, CampaignState)


def _enum(cls: type[_E], value: str, where: str) -> _E:
    try:
        return cls(value)
    except ValueError:
        raise _malformed(where, " | ".join(m.value for m in cls), value) from None


def store_info(data: object) -> StoreInfo:
    f = Fields(data, "store")
    cards = tuple(
        TestCard(number=c.text("number"), outcome=c.text("outcome"))
        for c in (Fields(item, f"store.test_cards[{i}]") for i, item in enumerate(f.items("test_cards", optional=True)))
    )
    return StoreInfo(
        store_id=f.id("store_id"),
        name=f.text("name"),
        public_key=f.text("public_key"),
        demo=f.flag("demo", default=False),
        test_cards=cards,
        fee_percent=f.opt_number("fee_percent") or 0.0,
    )


def public_key(data: object) -> tuple[str, str]:
    """`GET /public-key` → (store_id, base64 public key)."""
    f = Fields(data, "public_key")
    return f.id("store_id"), f.text("public_key")


def gate(f: Fields) -> Gate:
    return Gate(
        type=_enum(GateType, f.text("type"), f"{f.where}.type"),
        currency=f.opt_text("currency") or "USD",
        price_cents=f.opt_integer("price_cents"),
        min_cents=f.opt_integer("min_cents"),
    )


def _summary_fields(f: Fields) -> dict[str, Any]:
    return {
        "id": f.id("id"),
        "title": f.text("title"),
        "creator": f.text("creator"),
        "kind": f.text("kind"),
        "gate": gate(f.obj("gate")),
        "cover_url": f.opt_text("cover_url") or "",
        "summary": f.opt_text("summary") or "",
        "total_size": f.integer("total_size"),
    }


def bundle_summary(data: object, where: str = "bundle") -> BundleSummary:
    return BundleSummary(**_summary_fields(Fields(data, where)))


def catalog_page(data: object) -> CatalogPage:
    f = Fields(data, "catalog")
    items = tuple(bundle_summary(item, f"catalog.items[{i}]") for i, item in enumerate(f.items("items")))
    return CatalogPage(
        items=items,
        total=f.integer("total"),
        page=f.integer("page", minimum=1),
        per_page=f.integer("per_page"),
        total_exact=f.flag("total_exact", default=True),  # stores before the bounded count always counted all
    )


def file_info(f: Fields) -> FileInfo:
    return FileInfo(
        index=f.integer("index"),
        path=f.text("path"),
        size=f.integer("size"),
        media_type=f.opt_text("media_type") or "application/octet-stream",
        locked=f.flag("locked"),
        duration_s=f.opt_number("duration_s"),
        bitrate=f.opt_integer("bitrate"),
        release=f.opt_text("release"),
    )


def campaign(data: object) -> Campaign:
    return _campaign(Fields(data, "campaign"))


def _campaign(f: Fields) -> Campaign:
    return Campaign(
        id=f.id("id"),
        bundle_id=f.id("bundle_id"),
        goal_backers=f.opt_integer("goal_backers"),
        goal_cents=f.opt_integer("goal_cents"),
        price_cents=f.integer("price_cents"),
        currency=f.opt_text("currency") or "USD",
        backers=f.integer("backers"),
        pledged_cents=f.integer("pledged_cents"),
        deadline=f.time("deadline"),
        seconds_left=max(0, f.integer("seconds_left", minimum=None)),
        state=_enum(CampaignState, f.text("state"), f"{f.where}.state"),
    )


def _release(f: Fields) -> ReleaseInfo:
    return ReleaseInfo(id=f.id("id"), title=f.opt_text("title") or "", released_at=f.opt_time("released_at"))


def bundle_detail(data: object) -> BundleDetail:
    f = Fields(data, "bundle")
    manifest = f.obj("manifest")
    swarm = f.opt_obj("swarm")
    campaign_data = f.opt_obj("campaign")
    return BundleDetail(
        **_summary_fields(f),
        description=f.opt_text("description") or "",
        files=tuple(file_info(Fields(item, f"bundle.files[{i}]")) for i, item in enumerate(f.items("files"))),
        manifest=SignedManifestData(payload=manifest.text("payload"), signature=manifest.text("signature")),
        torrent_url=f.text("torrent_url"),
        magnet=f.opt_text("magnet") or "",
        info_hash_v1=f.opt_text("info_hash_v1"),
        info_hash_v2=f.opt_text("info_hash_v2"),
        web_seed_url=f.opt_text("web_seed_url"),
        tracker_url=f.opt_text("tracker_url"),
        swarm=SwarmHealth(swarm.integer("seeders"), swarm.integer("leechers"), swarm.integer("completed"))
        if swarm
        else SwarmHealth(0, 0, 0),
        campaign=_campaign(campaign_data) if campaign_data else None,
        releases=tuple(
            _release(Fields(item, f"bundle.releases[{i}]")) for i, item in enumerate(f.items("releases", optional=True))
        ),
        live=_live(live_data) if (live_data := f.opt_obj("live")) else None,
    )


def _live(f: Fields) -> LiveInfo:
    return LiveInfo(
        stream_id=f.text("stream_id"),
        swarm_hash=f.text("swarm_hash"),
        starts_at=f.time("starts_at"),
        state=f.text("state"),
    )


def account_created(data: object) -> AccountCreated:
    f = Fields(data, "account")
    return AccountCreated(account_id=f.id("account_id"), email=f.text("email"))


def sign_in(data: object) -> SignInResult:
    f = Fields(data, "session")
    return SignInResult(token=f.text("token"), expires_at=f.opt_time("expires_at"), account_id=f.id("account_id"))


def license_token(data: object, where: str) -> str:
    return Fields(data, where).text("license")


def email_code_sent(data: object) -> EmailCodeSent:
    f = Fields(data, "email_gate")
    return EmailCodeSent(status=f.text("status"), dev_code=f.opt_text("dev_code"))


def purchase(data: object) -> PurchaseResult:
    f = Fields(data, "purchase")
    return PurchaseResult(
        purchase_id=f.id("purchase_id"),
        bundle_id=f.id("bundle_id"),
        amount_cents=f.integer("amount_cents"),
        currency=f.opt_text("currency") or "USD",
        license=f.text("license"),
    )


def pledge(data: object) -> PledgeResult:
    f = Fields(data, "pledge")
    return PledgeResult(pledge_id=f.id("pledge_id"), status=f.text("status"))


def account_pledges(data: object) -> tuple[AccountPledge, ...]:
    pledges = []
    for i, item in enumerate(Fields(data, "pledges").items("pledges")):
        f = Fields(item, f"pledges.pledges[{i}]")
        pledges.append(AccountPledge(
            campaign_id=f.id("campaign_id"), bundle_id=f.id("bundle_id"), tier_id=f.text("tier_id"),
            amount_cents=f.integer("amount_cents"), currency=f.text("currency"), state=f.text("state")))
    return tuple(pledges)


def licenses(data: object) -> tuple[str, ...]:
    f = Fields(data, "licenses")
    tokens = f.items("licenses")
    for i, token in enumerate(tokens):
        if not isinstance(token, str):
            raise _malformed(f"licenses.licenses[{i}]", "a license token", token)
    return tuple(tokens)


def creator_report(data: object) -> tuple[CreatorReportLine, ...]:
    f = Fields(data, "report")
    lines = []
    for i, item in enumerate(f.items("bundles")):
        b = Fields(item, f"report.bundles[{i}]")
        lines.append(
            CreatorReportLine(
                bundle_id=b.id("bundle_id"),
                title=b.text("title"),
                gross_cents=b.integer("gross_cents"),
                payment_fees_cents=b.integer("payment_fees_cents"),
                store_fee_cents=b.integer("store_fee_cents"),
                net_cents=b.integer("net_cents", minimum=None),
                downloads=b.integer("downloads"),
            )
        )
    return tuple(lines)


def subscribers(data: object) -> tuple[Subscriber, ...]:
    f = Fields(data, "subscribers")
    result = []
    for i, item in enumerate(f.items("subscribers")):
        s = Fields(item, f"subscribers.subscribers[{i}]")
        result.append(
            Subscriber(
                email=s.text("email"), consented_at=s.time("consented_at"), confirmed_at=s.opt_time("confirmed_at")
            )
        )
    return tuple(result)
