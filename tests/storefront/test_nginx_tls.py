"""The store behind nginx with TLS, as docs/OPERATIONS.md documents it: the test makes a certificate authority and a
certificate for 127.0.0.1 (cryptography), runs the doc's nginx example with only the addresses swapped (loopback
ports for ``listen 443`` and ``listen 80``, the test's certificate files, content folder and store), and a store
whose public URL is nginx's https address. Over https, verified against the test's authority: the API answers, the
web seed answers Range requests, the pages' links are https, and the store itself sees the client's scheme (nginx's
``X-Forwarded-Proto``, trusted from 127.0.0.1 by uvicorn) — its own redirects stay on https. Plain http is
redirected to https by the doc's port-80 server.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.storefront.store_support import SeededStore, StoreProcess, seed_store
from tests.support.net import free_port
from tests.support.nginx import Nginx, documented_example, start_nginx, swap

pytestmark = pytest.mark.timeout(120)


@dataclass
class Certificates:
    authority: Path  # what the fans' machines trust
    chain: Path  # nginx's ssl_certificate
    key: Path  # nginx's ssl_certificate_key


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def make_certificates(folder: Path) -> Certificates:
    """A throwaway authority and a server certificate for 127.0.0.1 signed by it (valid for a day)."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("Bundlecast test authority"))
        .issuer_name(_name("Bundlecast test authority"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )  # keyCertSign, cRLSign
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    certs = Certificates(folder / "authority.pem", folder / "fullchain.pem", folder / "privkey.pem")
    certs.authority.write_bytes(ca.public_bytes(pem))
    certs.chain.write_bytes(leaf.public_bytes(pem) + ca.public_bytes(pem))
    certs.key.write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    certs.key.chmod(0o600)
    return certs


def documented_tls_servers(*, https_port: int, http_port: int, certs: Certificates, content: Path, store: str) -> str:
    """The doc's two ``server`` blocks, with only addresses and file paths swapped for the test's."""
    text = documented_example()
    text = swap(text, r"listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;")
    text = swap(
        text,
        r"ssl_certificate +/etc/letsencrypt/live/store\.example/fullchain\.pem;",
        f"ssl_certificate {certs.chain};",
    )
    text = swap(
        text,
        r"ssl_certificate_key +/etc/letsencrypt/live/store\.example/privkey\.pem;",
        f"ssl_certificate_key {certs.key};",
    )
    text = swap(text, r"alias /var/lib/bundlecast/content/;", f'alias "{content}/";')
    text = swap(text, r"proxy_pass http://127\.0\.0\.1:8750;", f"proxy_pass {store};")
    return swap(text, r"server \{ listen 80;", f"server {{ listen 127.0.0.1:{http_port};")


class Links(HTMLParser):
    """Every link of a page (href and src), those with an id by id, and the Open Graph URL."""

    def __init__(self) -> None:
        super().__init__()
        self.all: list[str] = []
        self.by_id: dict[str, str] = {}
        self.og_url = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "meta" and found.get("property") == "og:url":
            self.og_url = found.get("content", "")
        for name in ("href", "src", "action"):
            if name in found:
                self.all.append(found[name])
                if "id" in found:
                    self.by_id[found["id"]] = found[name]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> SeededStore:
    return seed_store(tmp_path_factory.mktemp("tls-store") / "data", paid_and_free_only=True)


@dataclass
class Fronted:
    https: str  # nginx's TLS address: the store's public URL
    http: str  # nginx's plain-http address (the doc's port-80 server)
    verify: ssl.SSLContext  # trusts the test's authority, and nothing else
    nginx: Nginx


@pytest.fixture(scope="module")
def fronted(seeded: SeededStore, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fronted]:
    https_port, http_port = free_port(), free_port()
    https = f"https://127.0.0.1:{https_port}"
    certs = make_certificates(tmp_path_factory.mktemp("certs"))
    store = StoreProcess(seeded.data_dir, env={"BUNDLECAST_STORE_PUBLIC_URL": https}).start()
    nginx: Nginx | None = None
    try:
        servers = documented_tls_servers(
            https_port=https_port,
            http_port=http_port,
            certs=certs,
            content=seeded.data_dir / "content",
            store=store.url,
        )
        nginx = start_nginx(tmp_path_factory.mktemp("nginx-tls"), servers, [https_port, http_port])
        verify = ssl.create_default_context(cafile=str(certs.authority))
        yield Fronted(https, f"http://127.0.0.1:{http_port}", verify, nginx)
    finally:
        store.stop()
        if nginx is not None:
            nginx.stop()


def test_the_api_answers_over_https(fronted: Fronted, seeded: SeededStore) -> None:
    with httpx.Client(base_url=fronted.https, verify=fronted.verify, timeout=30) as client:
        catalog = client.get("/api/v1/catalog")
        assert catalog.status_code == 200, catalog.text
        ids = {item["id"] for item in catalog.json()["items"]}
        assert seeded.free in ids
        detail = client.get(f"/api/v1/bundles/{seeded.free}").json()
        assert detail["torrent_url"].startswith(f"{fronted.https}/api/v1/")
        assert detail["web_seed_url"] == f"{fronted.https}/seed/{seeded.free}/"
        torrent = client.get(f"/api/v1/bundles/{seeded.free}/torrent")
        assert torrent.status_code == 200 and torrent.content.startswith(b"d")
    # A client that does not trust the authority refuses the connection: the TLS is real, not decoration.
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(f"{fronted.https}/api/v1/catalog", timeout=30)


def test_the_web_seed_answers_ranges_over_https(fronted: Fronted, seeded: SeededStore) -> None:
    top = next((seeded.data_dir / "content" / seeded.free).iterdir())
    data = (top / "media" / "part1.bin").read_bytes()
    url = f"{fronted.https}/seed/{seeded.free}/{top.name}/media/part1.bin".replace(" ", "%20")
    with httpx.Client(verify=fronted.verify, timeout=30) as client:
        part = client.get(url, headers={"Range": "bytes=1000-1999"})
        assert part.status_code == 206 and part.content == data[1000:2000]
        assert part.headers["content-range"] == f"bytes 1000-1999/{len(data)}"
        past = client.get(url, headers={"Range": f"bytes={len(data)}-{len(data) + 9}"})
        assert past.status_code == 416
    ranged = [line for line in fronted.nginx.access_log.read_text().splitlines() if '"bytes=1000-1999"' in line]
    assert any(line.startswith("206 GET /seed/") for line in ranged), ranged


def test_pages_link_https_and_the_store_sees_the_scheme(fronted: Fronted, seeded: SeededStore) -> None:
    with httpx.Client(base_url=fronted.https, verify=fronted.verify, timeout=30) as client:
        page = client.get(f"/bundles/{seeded.free}")
        assert page.status_code == 200, page.text
        links = Links()
        links.feed(page.text)
        assert links.by_id["torrent-link"] == f"{fronted.https}/api/v1/bundles/{seeded.free}/torrent"
        magnet = parse_qs(urlsplit(links.by_id["magnet-link"]).query)
        assert magnet["ws"] == [f"{fronted.https}/seed/{seeded.free}/"], magnet
        assert magnet["tr"] == [f"{fronted.https}/announce"], magnet
        assert links.og_url == f"{fronted.https}/bundles/{seeded.free}"
        own = [url for url in links.all if "127.0.0.1" in url]
        assert own and all(
            url.startswith(fronted.https) or url.startswith("bundlecast:") or url.startswith("magnet:") for url in own
        ), own  # no link of the store's falls back to plain http
        # The store's own absolute redirect (a trailing slash) is built from the request it saw: the scheme comes
        # from nginx's X-Forwarded-Proto and the host from its Host header.
        slash = client.get("/catalog/")
        assert slash.status_code in (307, 308), slash.text
        assert slash.headers["location"] == f"{fronted.https}/catalog"


def test_plain_http_is_redirected_to_https(fronted: Fronted, seeded: SeededStore) -> None:
    path = f"/bundles/{seeded.free}?from=plain"
    moved = httpx.get(fronted.http + path, timeout=30)
    assert moved.status_code == 301
    # The doc's redirect keeps the host and the whole path; on the real port 443 there is no port to keep.
    assert moved.headers["location"] == f"https://127.0.0.1{path}"
    with pytest.raises(httpx.HTTPError):  # the TLS port speaks no plain http that reaches the store
        answer = httpx.get(fronted.https.replace("https://", "http://") + "/api/v1/catalog", timeout=30)
        answer.raise_for_status()
