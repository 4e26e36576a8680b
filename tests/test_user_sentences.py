"""Every sentence the app can show a fan, collected from the code itself, is free of jargon.

The sentences are found in the source (AST), so a new one is checked without anyone listing it: the messages of
every ``raise`` of the app's exceptions (the first argument, or ``user_message=``), every exception class's
``default_message`` and ``super().__init__`` message, the engine's errno sentences, and every text handed to a
banner, the status line or an error signal. None may contain BitTorrent or Python jargon ("bencode", "urn:",
"btih", "libtorrent", a hex string, "errno", "None"), a ``!r`` repr, or an exception object pasted in whole
(its text is a library's, not ours). Then the real engine is fed the garbage fans type or drop, and what it
answers passes the same check.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.engine import Engine, EngineError, EngineSettings
from tests.support.net import loopback_address

ROOT = Path(__file__).resolve().parents[1]
USER_FACING = ["app/engine", "app/player", "app/ui", "app/library", "app/store", "app/settings.py", "app/main.py",
               "app/headless.py"]
SHOWING_CALLS = {"show_error", "show_info", "set_store_status", "show_status", "showMessage", "show_offer"}
SHOWING_SIGNALS = {"error", "failed", "playback_failed", "connect_failed", "status_message"}
EXCEPTION_NAMES = {"exc", "error", "err", "e", "exception", "cause"}
JARGON = re.compile(r"bencod|urn:|\bbtih\b|\bbtmh\b|libtorrent|\bhex\b|errno|traceback|nonetype|\bNone\b|"
                    r"info-hash|infohash|\bRuntimeError\b|\bOSError\b|[0-9a-f]{16,}", re.IGNORECASE)


@dataclass(frozen=True)
class Sentence:
    where: str
    text: str
    problems: tuple[str, ...]


def _render(node: ast.expr) -> tuple[str, list[str]] | None:
    """The text of a string literal or f-string ({…} for each value), and what is wrong with its values."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value, []
    if not isinstance(node, ast.JoinedStr):
        return None
    parts, problems = [], []
    for value in node.values:
        if isinstance(value, ast.Constant):
            parts.append(str(value.value))
        elif isinstance(value, ast.FormattedValue):
            source = ast.unparse(value.value)
            parts.append("{" + source + "}")
            if value.conversion == ord("r"):
                problems.append(f"a repr ({source}!r)")
            if isinstance(value.value, ast.Name) and value.value.id in EXCEPTION_NAMES:
                problems.append(f"an exception's own text ({{{source}}})")
    return "".join(parts), problems


def _message_args(call: ast.Call) -> list[ast.expr]:
    args = list(call.args[:1])
    args += [kw.value for kw in call.keywords if kw.arg in ("user_message", "message", "text")]
    return args


def _sentences_in(path: Path) -> list[Sentence]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[Sentence] = []

    def add(node: ast.expr, line: int) -> None:
        rendered = _render(node)
        if rendered is None or not rendered[0].strip():
            return
        text, problems = rendered
        problems += [f"jargon “{m.group(0)}”" for m in JARGON.finditer(text)]
        found.append(Sentence(f"{path.relative_to(ROOT)}:{line}", text, tuple(problems)))

    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
            for arg in _message_args(node.exc):
                add(arg, node.lineno)
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.Assign) and any(
                        isinstance(t, ast.Name) and t.id == "default_message" for t in item.targets):
                    add(item.value, item.lineno)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            func = node.func
            is_super_init = func.attr == "__init__" and isinstance(func.value, ast.Call) and ast.unparse(
                func.value) == "super()"
            shows = func.attr in SHOWING_CALLS
            emits = func.attr == "emit" and isinstance(func.value, ast.Attribute) and func.value.attr in SHOWING_SIGNALS
            if is_super_init or shows or emits:
                for arg in node.args[:1]:
                    add(arg, node.lineno)
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict) and any(
                isinstance(t, ast.Name) and t.id.endswith("SENTENCES") for t in node.targets):
            for value in node.value.values:
                if value is not None:
                    add(value, node.lineno)
    return found


def user_sentences() -> list[Sentence]:
    files: list[Path] = []
    for place in USER_FACING:
        target = ROOT / place
        files += [target] if target.is_file() else sorted(target.rglob("*.py"))
    return [sentence for path in files for sentence in _sentences_in(path)]


def test_every_sentence_a_fan_can_see_is_free_of_jargon() -> None:
    sentences = user_sentences()
    assert len(sentences) > 100  # the collector does find them (there are far more than this)
    bad = [f"{s.where}: {s.text!r} — {', '.join(s.problems)}" for s in sentences if s.problems]
    assert not bad, "Sentences a fan would not understand:\n" + "\n".join(bad)


def test_the_collector_catches_jargon(tmp_path: Path) -> None:
    # The check itself can fail: a planted bad sentence is found with its problems.
    planted = ROOT / "app" / "engine" / "_planted_for_test.py"
    planted.write_text('def f(exc):\n    raise ValueError(f"No torrent {tid!r} (xt=urn:btih:{exc})")\n')
    try:
        found = [s for s in _sentences_in(planted)]
    finally:
        planted.unlink()
    assert len(found) == 1
    assert {"a repr (tid!r)", "an exception's own text ({exc})", "jargon “urn:”", "jargon “btih”"} <= set(
        found[0].problems)


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    engine = Engine(EngineSettings.for_loopback_tests(loopback_address()), tmp_path / "state")
    engine.start()
    yield engine  # type: ignore[misc]
    engine.shutdown()


def test_garbage_a_fan_types_or_drops_gets_a_sentence_without_jargon(engine: Engine, tmp_path: Path) -> None:
    damaged = b"d8:announce22:http://127.0.0.1/annou4:infod4:name3:abc12:piece lengthi16384e6:pieces20:xxxx"
    attempts = {
        "bytes": lambda: engine.add_torrent_bytes(b"hello world", tmp_path),
        "damaged": lambda: engine.add_torrent_bytes(damaged, tmp_path),
        "words as a magnet": lambda: engine.add_magnet("hello world", tmp_path),
        "a magnet without its code": lambda: engine.add_magnet("magnet:?xt=urn:btih:1234&dn=x", tmp_path),
        "a missing file": lambda: engine.add_torrent_file(tmp_path / "hello world.torrent", tmp_path),
        "an unknown torrent": lambda: engine.pause("0" * 40),
    }
    answers = {}
    for name, attempt in attempts.items():
        with pytest.raises(EngineError) as caught:
            attempt()
        answers[name] = str(caught.value)
    for name, text in answers.items():
        assert not JARGON.search(text), f"{name}: {text}"
    assert answers["words as a magnet"] == "That is not a magnet link. A magnet link starts with “magnet:?”."
    assert answers["a missing file"] == "Bundlecast can't find the file “hello world.torrent”."
    assert answers["an unknown torrent"] == "That torrent is no longer in Bundlecast."
