"""The store's public face over real HTTP: store info, OpenAPI, catalog, bundle detail, cover, .torrent, magnet,
and the errors a client meets — against ``python -m storefront serve`` on 127.0.0.1."""

from __future__ import annotations

import base64
from urllib.parse import quote

import httpx
import pytest

from app.bundle import (
    InvalidSignatureError,
    MalformedError,
    SignedManifest,
    load_public_key,
    verify_manifest,
)
from storefront.torrents import bdecode, info_hashes
from tests.storefront.store_support import SeededStore, StoreProcess


def test_store_info_names_the_store_its_key_fee_and_test_cards(api: httpx.Client) -> None:
    info = api.get("/store").json()
    assert info["fee_percent"] == 10
    assert len(base64.b64decode(info["public_key"])) == 32
    assert {c["outcome"] for c in info["test_cards"]} == {"success", "card_declined", "insufficient_funds"}
    assert api.get("/public-key").json() == {"store_id": info["store_id"], "public_key": info["public_key"]}


def test_openapi_document_describes_every_contract_call(api: httpx.Client) -> None:
    doc = api.get("/openapi.json").json()
    paths = set(doc["paths"])
    for path in (
        "/api/v1/catalog",
        "/api/v1/bundles/{bundle_id}",
        "/api/v1/purchases",
        "/api/v1/sessions",
        "/api/v1/campaigns/{campaign_id}/pledges",
        "/api/v1/licenses",
        "/api/v1/creators/report",
    ):
        assert path in paths


def test_catalog_lists_searches_filters_sorts_and_pages(api: httpx.Client, seeded: SeededStore) -> None:
    everything = api.get("/catalog", params={"per_page": 100}).json()
    assert everything["total"] == len(seeded.bundles)
    assert {item["id"] for item in everything["items"]} >= {seeded.paid, seeded.free, seeded.email}
    found = api.get("/catalog", params={"q": "pwyw"}).json()
    assert [item["id"] for item in found["items"]] == [seeded.pwyw]
    assert found["items"][0]["gate"] == {"type": "pwyw", "min_cents": 300, "currency": "USD"}
    series = api.get("/catalog", params={"kind": "series"}).json()
    assert series["total"] == len(seeded.campaigns) and all(item["kind"] == "series" for item in series["items"])
    titles = [item["title"] for item in api.get("/catalog", params={"sort": "title"}).json()["items"]]
    assert titles == sorted(titles)
    page1 = api.get("/catalog", params={"sort": "title", "per_page": 3, "page": 1}).json()["items"]
    page3 = api.get("/catalog", params={"sort": "title", "per_page": 3, "page": 3}).json()["items"]
    assert [i["title"] for i in page1] == titles[:3] and [i["title"] for i in page3] == titles[6:9]
    prices = api.get("/catalog", params={"sort": "price"}).json()["items"]
    assert prices[0]["gate"]["type"] in ("free", "email")


@pytest.mark.parametrize(
    ("params", "code"),
    [({"kind": "podcast"}, "invalid_kind"), ({"sort": "random"}, "invalid_sort"), ({"page": 0}, "invalid_input")],
)
def test_catalog_refuses_bad_queries_with_a_clear_error(
    api: httpx.Client, params: dict[str, object], code: str
) -> None:
    answer = api.get("/catalog", params=params)
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == code


def test_bundle_detail_carries_a_manifest_signed_by_the_store(api: httpx.Client, seeded: SeededStore) -> None:
    key = load_public_key(api.get("/public-key").json()["public_key"])
    detail = api.get(f"/bundles/{seeded.paid}").json()
    manifest = verify_manifest(SignedManifest.from_dict(detail["manifest"]), key)
    assert manifest.bundle_id == seeded.paid and manifest.gate.price_cents == 499
    assert manifest.info_hash_v1 == detail["info_hash_v1"]
    assert [f["path"] for f in detail["files"]] == [f.path for f in manifest.files]
    assert {f["path"]: f["locked"] for f in detail["files"]} == {
        "readme.txt": False,
        "media/part1.bin": True,
        "media/part2.bin": True,
    }
    assert detail["swarm"] == {"seeders": 0, "leechers": 0, "completed": 0}
    assert detail["campaign"] is None


def test_any_flipped_byte_of_a_served_manifest_fails_verification(api: httpx.Client, seeded: SeededStore) -> None:
    key = load_public_key(api.get("/public-key").json()["public_key"])
    served = api.get(f"/bundles/{seeded.paid}").json()["manifest"]
    payload, signature = served["payload"], served["signature"]
    for i in range(len(payload)):  # every position of the payload, then of the signature
        flipped = payload[:i] + chr(ord(payload[i]) ^ 1) + payload[i + 1 :]
        with pytest.raises((InvalidSignatureError, MalformedError)):
            verify_manifest(SignedManifest(flipped, signature), key)
    for i in range(len(signature)):
        flipped = signature[:i] + ("A" if signature[i] != "A" else "B") + signature[i + 1 :]
        with pytest.raises((InvalidSignatureError, MalformedError)):
            verify_manifest(SignedManifest(payload, flipped), key)


def test_torrent_and_magnet_announce_the_current_store_url(
    api: httpx.Client, store: StoreProcess, seeded: SeededStore
) -> None:
    detail = api.get(f"/bundles/{seeded.paid}").json()
    answer = api.get(f"/bundles/{seeded.paid}/torrent")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/x-bittorrent"
    torrent = bdecode(answer.content)
    assert isinstance(torrent, dict)
    assert torrent[b"announce"] == f"{store.url}/announce".encode()
    assert torrent[b"url-list"] == [f"{store.url}/seed/{seeded.paid}/".encode()]
    assert info_hashes(answer.content) == (detail["info_hash_v1"], detail["info_hash_v2"])
    assert detail["tracker_url"] == f"{store.url}/announce"
    assert f"xt=urn:btih:{detail['info_hash_v1']}" in detail["magnet"]
    assert "tr=" + quote(f"{store.url}/announce", safe="") in detail["magnet"]
    assert "ws=" + quote(f"{store.url}/seed/{seeded.paid}/", safe="") in detail["magnet"]
    assert detail["web_seed_url"] == f"{store.url}/seed/{seeded.paid}/"


def test_cover_is_served_as_png(api: httpx.Client, seeded: SeededStore) -> None:
    summary = next(i for i in api.get("/catalog").json()["items"] if i["id"] == seeded.free)
    cover = httpx.get(summary["cover_url"])
    assert cover.status_code == 200
    assert cover.headers["content-type"] == "image/png" and cover.content.startswith(b"\x89PNG")


@pytest.mark.parametrize("path", ["/bundles/nope", "/bundles/nope/torrent", "/bundles/nope/cover", "/campaigns/nope"])
def test_unknown_things_are_404_with_a_json_error(api: httpx.Client, path: str) -> None:
    answer = api.get(path)
    assert answer.status_code == 404
    error = answer.json()["error"]
    assert error["code"] in ("unknown_bundle", "unknown_campaign") and "nope" in error["message"]


def test_malformed_json_is_400_and_missing_fields_422(api: httpx.Client) -> None:
    broken = api.post(
        "/accounts", content=b'{"email": "a@b.c", "password": ', headers={"content-type": "application/json"}
    )
    assert broken.status_code == 400 and broken.json()["error"]["code"] == "malformed_json"
    missing = api.post("/accounts", json={"email": "a@example.com"})
    assert missing.status_code == 422 and missing.json()["error"]["code"] == "invalid_input"
    assert "password" in missing.json()["error"]["message"]
    not_object = api.post("/accounts", json=["a", "b"])
    assert not_object.status_code in (400, 422) and "error" in not_object.json()


def test_search_treats_wildcards_as_plain_text_and_combines_with_kind(api: httpx.Client, seeded: SeededStore) -> None:
    assert api.get("/catalog", params={"q": "%"}).json()["total"] == 0
    assert api.get("/catalog", params={"q": "_"}).json()["total"] == 0
    assert api.get("/catalog", params={"q": "TEST CREATOR"}).json()["total"] == len(seeded.bundles)  # any case
    both = api.get("/catalog", params={"q": "bundle", "kind": "music"}).json()
    assert [item["id"] for item in both["items"]] == [seeded.paid]


def test_answers_match_the_schemas_the_openapi_document_publishes(api: httpx.Client, seeded: SeededStore) -> None:
    from storefront.api import schemas

    doc = api.get("/openapi.json").json()
    assert doc["paths"]["/api/v1/bundles/{bundle_id}"]["get"]["responses"]["200"]["content"]["application/json"][
        "schema"
    ] == {"$ref": "#/components/schemas/BundleDetail"}
    schemas.StoreInfo.model_validate(api.get("/store").json(), strict=True)
    schemas.CatalogPage.model_validate(api.get("/catalog").json(), strict=True)
    for bundle_id in (seeded.paid, seeded.campaign_ok, seeded.free):
        detail = api.get(f"/bundles/{bundle_id}").json()
        parsed = schemas.BundleDetail.model_validate(detail, strict=True)
        assert set(parsed.model_dump()) == set(detail)  # nothing undocumented
    schemas.CampaignInfo.model_validate(api.get(f"/campaigns/{seeded.campaign_ok}").json(), strict=True)
    schemas.ErrorAnswer.model_validate(api.get("/bundles/nope").json(), strict=True)
