"""RSS auto-download (qBittorrent's "RSS Downloader"): feeds are fetched, their items matched against per-feed
rules, and the matching torrents added — each series episode once.

A ``FeedRule`` belongs to one feed URL: ``must_contain`` words (all of them, any case), ``must_not_contain`` words
(none of them), the ``category`` the torrent goes to, and the *episode filter*: an item whose title names an
episode (``S01E02``, ``1x02``) is taken only if that episode of the rule was never taken before — a second quality
or a re-post of episode 2 is skipped, now and after restarts. Items are also remembered by id (guid or link), so
nothing is added twice. What was taken is saved atomically in ``rss-state.json``.

Hostile feeds are refused with a sentence and change nothing: at most ``MAX_FEED_BYTES`` read, within
``FEED_TIMEOUT_S`` in total (a server dripping bytes is cut off), only http(s), and a document that declares XML
entities (the "billion laughs" bomb and external entities) is not parsed at all. A linked .torrent is fetched with
the same caps (``MAX_TORRENT_BYTES``).

No Qt. ``check`` does network and disk work: call it from a worker, one check at a time (a lock guards it).
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.error import URLError
from urllib.parse import urlsplit

import feedparser  # type: ignore[import-untyped]  # no stubs

from app.atomic_write import write_atomically
from app.engine.errors import EngineError
from app.engine.types import TorrentId

log = logging.getLogger(__name__)

MAX_FEED_BYTES = 2 * 1024 * 1024
MAX_TORRENT_BYTES = 10 * 1024 * 1024
FEED_TIMEOUT_S = 15.0
STATE_FILE_NAME = "rss-state.json"
_EPISODE = re.compile(r"\bS(\d{1,3})\s*E(\d{1,4})\b|\b(\d{1,2})x(\d{1,3})\b", re.IGNORECASE)
_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)
_USER_AGENT = "Bundlecast RSS"


class FeedError(Exception):
    """A feed (or a torrent it links) that was refused; the message is a sentence for the user."""


@dataclass(frozen=True, slots=True)
class FeedRule:
    name: str
    feed_url: str
    must_contain: tuple[str, ...] = ()
    must_not_contain: tuple[str, ...] = ()
    category: str = ""
    episode_filter: bool = True

    def matches(self, title: str) -> bool:
        folded = title.casefold()
        return all(word.casefold() in folded for word in self.must_contain) and not any(
            word.casefold() in folded for word in self.must_not_contain
        )


@dataclass(frozen=True, slots=True)
class FeedItem:
    item_id: str
    title: str
    source: str  # a magnet link or the URL of a .torrent


@dataclass(frozen=True, slots=True)
class CheckResult:
    added: tuple[tuple[str, TorrentId], ...] = ()  # (item title, torrent id)
    problems: tuple[str, ...] = ()  # sentences


@dataclass
class _State:
    seen: dict[str, list[str]] = field(default_factory=dict)  # feed url → item ids taken or skipped
    episodes: dict[str, list[str]] = field(default_factory=dict)  # rule name → "S01E02" taken


def episode_of(title: str) -> str | None:
    """"S01E02" for "Show S01E02 720p" or "Show 1x02"; None when the title names no episode."""
    found = _EPISODE.search(title)
    if found is None:
        return None
    season, episode = (found.group(1), found.group(2)) if found.group(1) else (found.group(3), found.group(4))
    return f"S{int(season):02d}E{int(episode):02d}"


def fetch_capped(url: str, max_bytes: int, timeout: float = FEED_TIMEOUT_S, what: str = "feed") -> bytes:
    """GET ``url`` (http or https) reading at most ``max_bytes`` within ``timeout`` seconds in all."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise FeedError(f"The {what} address must start with http:// or https:// ({url}).")
    deadline = time.monotonic() + timeout
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})  # noqa: S310 - scheme checked above
    chunks: list[bytes] = []
    size = 0
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - scheme checked above
            while True:
                if time.monotonic() > deadline:
                    raise FeedError(f"The {what} took longer than {timeout:.0f} s to arrive; it was not read.")
                chunk = response.read1(64 * 1024)
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise FeedError(f"The {what} is larger than {max_bytes // (1024 * 1024)} MB; it was not read.")
                chunks.append(chunk)
    except FeedError:
        raise
    except (URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise FeedError(f"Cannot fetch the {what} at {url}: {reason}.") from exc
    return b"".join(chunks)


def parse_feed(data: bytes, url: str) -> list[FeedItem]:
    """The items of a feed document, refusing entity declarations (XML bombs) before any parsing."""
    if _ENTITY_DECLARATION.search(data):
        raise FeedError(f"The feed at {url} declares XML entities (a known attack); it was not read.")
    parsed = feedparser.parse(data)
    if parsed.bozo and not parsed.entries:
        raise FeedError(f"The feed at {url} is not a readable RSS or Atom feed.")
    items = []
    for entry in parsed.entries:
        title = str(entry.get("title", "")).strip()
        source = ""
        for enclosure in entry.get("enclosures", []):
            if "bittorrent" in str(enclosure.get("type", "")) or str(enclosure.get("href", "")).endswith(".torrent"):
                source = str(enclosure.get("href", ""))
        link = str(entry.get("link", ""))
        if not source and (link.startswith("magnet:") or link.endswith(".torrent")):
            source = link
        if title and source:
            items.append(FeedItem(str(entry.get("id") or link or title), title, source))
    return items


class RssDownloader:
    """Checks feeds against rules and adds what matches, through ``add_magnet`` / ``add_torrent``."""

    def __init__(
        self,
        state_dir: Path,
        add_magnet: Callable[[str, str], TorrentId],
        add_torrent: Callable[[bytes, str], TorrentId],
        *,
        feed_timeout: float = FEED_TIMEOUT_S,
    ) -> None:
        self._path = state_dir / STATE_FILE_NAME
        self._add_magnet = add_magnet  # (magnet, category) → id
        self._add_torrent = add_torrent  # (.torrent bytes, category) → id
        self._timeout = feed_timeout
        self._lock = threading.Lock()
        self._state = self._load()

    def check(self, rules: Sequence[FeedRule]) -> CheckResult:
        """Fetch every feed the rules name once, and add the new matching items."""
        with self._lock:
            added: list[tuple[str, TorrentId]] = []
            problems: list[str] = []
            for url in dict.fromkeys(rule.feed_url for rule in rules):
                try:
                    items = parse_feed(fetch_capped(url, MAX_FEED_BYTES, self._timeout), url)
                except FeedError as exc:
                    problems.append(str(exc))
                    continue
                feed_rules = [rule for rule in rules if rule.feed_url == url]
                for item in items:
                    self._consider(url, item, feed_rules, added, problems)
            self._save()
            return CheckResult(tuple(added), tuple(problems))

    def _consider(
        self, url: str, item: FeedItem, rules: list[FeedRule], added: list[tuple[str, TorrentId]], problems: list[str]
    ) -> None:
        seen = self._state.seen.setdefault(url, [])
        if item.item_id in seen:
            return
        rule = next((rule for rule in rules if rule.matches(item.title)), None)
        if rule is None:
            return
        episode = episode_of(item.title) if rule.episode_filter else None
        taken = self._state.episodes.setdefault(rule.name, [])
        if episode is not None and episode in taken:
            seen.append(item.item_id)  # another copy of an episode already fetched
            return
        try:
            if item.source.startswith("magnet:"):
                tid = self._add_magnet(item.source, rule.category)
            else:
                data = fetch_capped(item.source, MAX_TORRENT_BYTES, self._timeout, what=".torrent file")
                tid = self._add_torrent(data, rule.category)
        except (FeedError, EngineError) as exc:
            problems.append(f"“{item.title}” was not added: {exc}")
            return  # tried again at the next check
        seen.append(item.item_id)
        if episode is not None:
            taken.append(episode)
        added.append((item.title, tid))

    def _load(self) -> _State:
        try:
            raw = json.loads(self._path.read_text(encoding="utf-8"))
            return _State({str(k): [str(i) for i in v] for k, v in dict(raw["seen"]).items()},
                          {str(k): [str(e) for e in v] for k, v in dict(raw["episodes"]).items()})
        except FileNotFoundError:
            return _State()
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("the RSS state is unreadable (%s); starting afresh", exc)
            return _State()

    def _save(self) -> None:
        payload = {"version": 1, "seen": {url: ids[-2000:] for url, ids in self._state.seen.items()},
                   "episodes": self._state.episodes}
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(self._path, json.dumps(payload, ensure_ascii=False).encode("utf-8"))
        except OSError as exc:
            log.warning("could not save the RSS state: %s", exc)


RULES_FILE_NAME = "rss-rules.json"


def load_rules(config_dir: Path) -> list[FeedRule]:
    """The user's RSS rules (``rss-rules.json``); none when the file is missing, unreadable rules skipped."""
    try:
        raw = json.loads((config_dir / RULES_FILE_NAME).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        log.warning("the RSS rules are unreadable (%s); none are used", exc)
        return []
    rules = []
    for entry in raw.get("rules", []) if isinstance(raw, dict) else []:
        try:
            rules.append(FeedRule(
                name=str(entry["name"]), feed_url=str(entry["feed_url"]),
                must_contain=tuple(str(w) for w in entry.get("must_contain", ())),
                must_not_contain=tuple(str(w) for w in entry.get("must_not_contain", ())),
                category=str(entry.get("category", "")), episode_filter=bool(entry.get("episode_filter", True)),
            ))
        except (KeyError, TypeError, AttributeError):
            log.warning("an RSS rule without a name or feed was skipped: %r", entry)
    return rules


def save_rules(config_dir: Path, rules: Sequence[FeedRule]) -> None:
    """Write the rules atomically (``OSError`` reaches the caller, who says it)."""
    payload = {"version": 1, "rules": [
        {"name": r.name, "feed_url": r.feed_url, "must_contain": list(r.must_contain),
         "must_not_contain": list(r.must_not_contain), "category": r.category, "episode_filter": r.episode_filter}
        for r in rules
    ]}
    config_dir.mkdir(parents=True, exist_ok=True)
    write_atomically(config_dir / RULES_FILE_NAME, json.dumps(payload, indent=1, ensure_ascii=False).encode("utf-8"))
