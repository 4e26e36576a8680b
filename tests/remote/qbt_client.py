"""A qBittorrent Web API v2 client written from qBittorrent's documentation (WebUI API, qBittorrent 4.1+), with
plain httpx — nothing of Bundlecast's. Run: python qbt_client.py BASE_URL USER PASSWORD TORRENT_FILE

It logs in (POST /api/v2/auth/login, form fields username/password, answer "Ok." and the SID cookie), adds the
torrent (POST /api/v2/torrents/add, multipart field "torrents"), reads its progress from GET /api/v2/torrents/info
until it is complete, pauses it (POST /api/v2/torrents/pause, hashes=…), checks the state is pausedUP, deletes it
with its files (POST /api/v2/torrents/delete, deleteFiles=true) and checks the list is empty. Prints one line per
step; exits non-zero on any surprise.
"""

import sys
import time

import httpx


def main(base: str, user: str, password: str, torrent_path: str) -> int:
    with httpx.Client(base_url=base, timeout=10) as client:
        answer = client.post("/api/v2/auth/login", data={"username": user, "password": password})
        assert answer.text == "Ok.", answer.text
        assert "SID" in client.cookies
        print("logged in", client.get("/api/v2/app/webapiVersion").text)
        with open(torrent_path, "rb") as handle:
            added = client.post("/api/v2/torrents/add", files={"torrents": ("a.torrent", handle,
                                                                            "application/x-bittorrent")})
        assert added.text == "Ok.", added.text
        print("added")
        deadline = time.monotonic() + 60
        torrents = []
        while time.monotonic() < deadline:
            torrents = client.get("/api/v2/torrents/info").json()
            if torrents and torrents[0]["progress"] >= 1.0:
                break
            time.sleep(0.2)
        assert torrents and torrents[0]["progress"] == 1.0, torrents
        torrent_hash = torrents[0]["hash"]
        print("progress", torrents[0]["progress"], torrents[0]["name"])
        client.post("/api/v2/torrents/pause", data={"hashes": torrent_hash}).raise_for_status()
        deadline = time.monotonic() + 20
        state = ""
        while time.monotonic() < deadline:
            state = client.get("/api/v2/torrents/info", params={"hashes": torrent_hash}).json()[0]["state"]
            if state == "pausedUP":
                break
            time.sleep(0.1)
        assert state == "pausedUP", state
        print("paused")
        client.post("/api/v2/torrents/delete", data={"hashes": torrent_hash, "deleteFiles": "true"}).raise_for_status()
        assert client.get("/api/v2/torrents/info").json() == []
        print("deleted")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))
