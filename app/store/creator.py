"""`CreatorClient`: the creator API as blocking verbs — the role, publishing (draft, chunked upload, publish,
release), the bundle key, updates, the dashboard, subscribers as CSV — plus a backer's tier pledge verbs.

Same transport as `StoreClient` (timeouts, retries, typed errors); every verb takes the account token first.
Upload chunks are offset-addressed, so a chunk whose answer was lost is simply sent again. Blocking; the UI and
the publishing job call it from worker threads.
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote

from app.store.errors import SessionExpired
from app.store.transport import DEFAULT_USER_AGENT, RetryPolicy, Transport


def _seg(value: str) -> str:
    return quote(value, safe="")


class CreatorClient:
    """The store's creator API. Answers are the store's JSON objects (docs/CONTRACTS.md, "Creator API")."""

    def __init__(self, base_url: str, *, timeout: tuple[float, float] = (3.05, 120)) -> None:
        self._http = Transport(base_url, timeout=timeout, user_agent=DEFAULT_USER_AGENT, retry=RetryPolicy())

    def close(self) -> None:
        self._http.close()

    def _call(self, method: str, path: str, token: str, **kwargs: Any) -> Any:
        return self._http.request(method, path, token=token, unauthorized=SessionExpired, **kwargs)

    # --- the role --------------------------------------------------------------------------------------------
    def become_creator(self, token: str, display_name: str) -> dict[str, Any]:
        return dict(self._call("POST", "/creators/me", token, body={"display_name": display_name}))

    def me(self, token: str) -> dict[str, Any]:
        return dict(self._call("GET", "/creators/me", token))

    # --- publishing ------------------------------------------------------------------------------------------
    def create_draft(self, token: str, draft: dict[str, Any]) -> dict[str, Any]:
        return dict(self._call("POST", "/creators/drafts", token, body=draft))

    def create_release(self, token: str, bundle_id: str, draft: dict[str, Any]) -> dict[str, Any]:
        return dict(self._call("POST", f"/creators/bundles/{_seg(bundle_id)}/releases", token, body=draft))

    def draft(self, token: str, draft_id: str) -> dict[str, Any]:
        return dict(self._call("GET", f"/creators/drafts/{_seg(draft_id)}", token))

    def upload_chunk(self, token: str, draft_id: str, index: int, offset: int, data: bytes) -> int:
        """Send bytes at ``offset`` of file ``index``; returns how many bytes of it the store now holds."""
        answer = self._call(
            "PUT",
            f"/creators/drafts/{_seg(draft_id)}/files/{index}",
            token,
            params={"offset": offset},
            content=data,
            retry_always=True,
        )
        return int(answer["received"])

    def publish_draft(self, token: str, draft_id: str) -> dict[str, Any]:
        return dict(self._call("POST", f"/creators/drafts/{_seg(draft_id)}/publish", token, retry_always=True))

    def abandon_draft(self, token: str, draft_id: str) -> None:
        self._call("DELETE", f"/creators/drafts/{_seg(draft_id)}", token)

    def bundle_key(self, token: str, bundle_id: str) -> bytes:
        answer = self._call("GET", f"/creators/bundles/{_seg(bundle_id)}/key", token)
        return base64.b64decode(answer["bundle_key"])

    # --- updates, dashboard, subscribers ----------------------------------------------------------------------
    def post_update(self, token: str, bundle_id: str, title: str, body: str) -> dict[str, Any]:
        path = f"/creators/bundles/{_seg(bundle_id)}/updates"
        return dict(self._call("POST", path, token, body={"title": title, "body": body}))

    def updates(self, bundle_id: str) -> list[dict[str, Any]]:
        return list(self._http.request("GET", f"/bundles/{_seg(bundle_id)}/updates")["updates"])

    def dashboard(self, token: str) -> dict[str, Any]:
        return dict(self._call("GET", "/creators/dashboard", token))

    def refund_sale(self, token: str, charge_id: str) -> dict[str, Any]:
        """Refund a sale or charged pledge of the creator's bundle (its dashboard ledger ``charge_id``), or cancel a
        pledge not charged yet; idempotent at the store (a second call answers ``refunded_now`` false)."""
        return dict(self._call("POST", f"/creators/sales/{_seg(charge_id)}/refund", token))

    def subscribers_csv(self, token: str, bundle_id: str) -> str:
        data = self._call("GET", f"/creators/bundles/{_seg(bundle_id)}/subscribers.csv", token, raw=True)
        return bytes(data).decode("utf-8")

    # --- a backer's tiers --------------------------------------------------------------------------------------
    def tiers(self, campaign_id: str) -> list[dict[str, Any]]:
        return list(self._http.request("GET", f"/campaigns/{_seg(campaign_id)}/tiers")["tiers"])

    def my_pledge(self, token: str, campaign_id: str) -> dict[str, Any]:
        return dict(self._call("GET", f"/campaigns/{_seg(campaign_id)}/pledge", token))

    def pledge_tier(self, token: str, campaign_id: str, tier_id: str, card: dict[str, Any]) -> dict[str, Any]:
        body = {"tier_id": tier_id, "card": card}
        return dict(self._call("PUT", f"/campaigns/{_seg(campaign_id)}/pledge", token, body=body, retry_always=True))

    def cancel_pledge(self, token: str, campaign_id: str) -> dict[str, Any]:
        return dict(self._call("DELETE", f"/campaigns/{_seg(campaign_id)}/pledge", token))
