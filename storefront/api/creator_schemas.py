"""Request bodies of the creator API (pydantic): becoming a creator, a draft, a release, an update.

The constraints are the ones the service enforces (``storefront.creators``, ``storefront.draft_checks``,
``storefront.creator_updates``), so the API document says what a request must look like: lengths, ranges, the
base64 alphabet, ids, enums, required fields. A limit the service applies after normalising (whitespace collapsed,
text stripped) is put on the raw text, which is never shorter, so a schema-valid value always passes it. What JSON
Schema cannot say (the torrent is a torrent and the file list matches it, the bundle key is the bundle's, a paid
gate has a price) is still the service's call: 422 with its own code. Patterns use Python's ``re`` (the same
whitespace as ``str.split``/``str.strip``). Pure; any thread.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.bundle import BundleKind, GateType
from storefront.creator_updates import MAX_UPDATE_BODY, MAX_UPDATE_TITLE
from storefront.creators import MAX_NAME
from storefront.draft_checks import (
    MAX_COVER_BYTES,
    MAX_DESCRIPTION,
    MAX_GOAL_CENTS,
    MAX_PRICE_CENTS,
    MAX_SUMMARY,
    MAX_TIERS,
    MAX_TITLE,
)

MAX_TORRENT_BYTES = 32 * 1024 * 1024
_NOT_BLANK = r"^[\s\S]*\S"  # at least one character that is not whitespace
_BASE64 = r"^[A-Za-z0-9+/]*={0,2}$"
_ID = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"  # storefront.draft_checks._ID


def _base64(limit: int, **default: Any) -> Any:
    """Base64 text of at most ``limit`` bytes (the length bound of ``draft_checks.b64_field``)."""
    return Field(pattern=_BASE64, max_length=limit * 4 // 3 + 8, **default)


def _text(limit: int, *, required: bool) -> Any:
    if required:
        return Field(min_length=1, max_length=limit, pattern=_NOT_BLANK)
    return Field(default="", max_length=limit)


class _Body(BaseModel):
    model_config = ConfigDict(regex_engine="python-re")


class CreatorBody(_Body):
    display_name: str = _text(MAX_NAME, required=True)


class UpdateBody(_Body):
    title: str = _text(MAX_UPDATE_TITLE, required=True)
    body: str = _text(MAX_UPDATE_BODY, required=True)


class GateBody(_Body):
    type: GateType
    # required for paid and campaign gates (the service answers 422 invalid_price without it)
    price_cents: int | None = Field(default=None, ge=1, le=MAX_PRICE_CENTS)
    min_cents: int = Field(default=0, ge=0, le=MAX_PRICE_CENTS)
    currency: Literal["USD"] = "USD"


class TierBody(_Body):
    id: str = Field(pattern=_ID)
    title: str = _text(MAX_TITLE, required=True)
    description: str | None = _text(1000, required=False)
    price_cents: int = Field(ge=1, le=MAX_PRICE_CENTS)


class CampaignBody(_Body):
    deadline_days: float = Field(default=30, gt=0, le=365)
    goal_backers: int | None = Field(default=None, ge=1, le=100_000_000)  # one of the goals is required
    goal_cents: int | None = Field(default=None, ge=1, le=MAX_GOAL_CENTS)
    tiers: list[TierBody] = Field(default_factory=list, max_length=MAX_TIERS)


class FileBody(_Body):
    """One file of the bundle: its path in the torrent; its size, if given, is the torrent's."""

    path: str = Field(max_length=4096)
    size: int | None = Field(default=None, ge=0)
    media_type: str | None = None
    locked: bool = False
    nonce: str | None = None
    duration_s: float | None = Field(default=None, ge=0)
    bitrate: int | None = Field(default=None, ge=0)
    release: str | None = None


BundleKeyText = Annotated[str, Field(pattern=r"^[A-Za-z0-9+/]{43}=$")]  # base64 of 32 bytes


class _Upload(_Body):
    torrent: str = _base64(MAX_TORRENT_BYTES)
    bundle_key: BundleKeyText
    files: list[FileBody] = Field(min_length=1)

    def as_json(self) -> dict[str, Any]:
        """The body as the service's checks read it (plain JSON values)."""
        return self.model_dump(mode="json")


class DraftBody(_Upload):
    title: str = _text(MAX_TITLE, required=True)
    kind: BundleKind
    description: str | None = _text(MAX_DESCRIPTION, required=False)
    summary: str | None = _text(MAX_SUMMARY, required=False)
    gate: GateBody
    cover: str | None = _base64(MAX_COVER_BYTES, default=None)
    campaign: CampaignBody | None = None  # only for a campaign gate, and then required


class ReleaseSpec(_Body):
    id: str = Field(pattern=_ID)
    title: str = _text(MAX_TITLE, required=True)


class ReleaseBody(_Upload):
    release: ReleaseSpec
