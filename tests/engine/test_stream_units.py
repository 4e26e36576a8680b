"""TorrentStream's logic against a fake torrent handle: short reads, waiting and waking, the picking window,
head and tail first, timeout and cancellation. (tests/integration/test_engine_stream.py runs it for real.)"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import libtorrent as lt
import pytest

from app.engine import StreamClosedError, StreamTimeoutError
from app.engine.piece_reader import PieceReader
from app.engine.stream import TAIL_DEADLINE_MS, TOP_PRIORITY, PieceSignal, StreamFile, TorrentStream

PIECE = 16384
TORRENT = bytes((i * 7 + i // 251) % 256 for i in range(PIECE * 12))  # 12 pieces
OFFSET, SIZE = 10_000, 150_000  # the file starts inside piece 0 and ends inside piece 9


@dataclass
class FakeError:
    def value(self) -> int:
        return 0

    def message(self) -> str:
        return ""


@dataclass
class FakeReadAlert:
    handle: Any
    piece: int
    buffer: bytes
    error: FakeError = field(default_factory=FakeError)


class FakeHandle:
    """Pieces it has, what the stream asked of the picker; read_piece answers like the alert thread would."""

    def __init__(self, reader: PieceReader, have: set[int]) -> None:
        self.reader = reader
        self.have = set(have)
        self.priorities: list[list[tuple[int, int]]] = []
        self.deadlines: list[tuple[int, int]] = []
        self.reset: list[int] = []
        self.unset: list[int] = []

    def have_piece(self, piece: int) -> bool:
        return piece in self.have

    def read_piece(self, piece: int) -> None:
        data = TORRENT[piece * PIECE : (piece + 1) * PIECE]
        threading.Thread(target=self.reader.deliver, args=(FakeReadAlert(self, piece, data),)).start()

    def prioritize_pieces(self, changes: list[tuple[int, int]]) -> None:
        self.priorities.append(list(changes))

    def set_piece_deadline(self, piece: int, deadline: int) -> None:
        self.deadlines.append((piece, deadline))

    def reset_piece_deadline(self, piece: int) -> None:
        self.reset.append(piece)

    def unset_flags(self, flags: int) -> None:
        self.unset.append(flags)

    def is_valid(self) -> bool:
        return True

    def __hash__(self) -> int:
        return id(self)


def open_stream(have: set[int], timeout: float = 10.0) -> tuple[TorrentStream, FakeHandle, PieceSignal, list[Any]]:
    reader = PieceReader()
    handle = FakeHandle(reader, have)
    signal = PieceSignal()
    closed: list[Any] = []
    file = StreamFile(file_index=1, offset=OFFSET, size=SIZE, piece_length=PIECE, num_pieces=12,
                      base_priority=lambda: 4)
    stream = TorrentStream(handle, file, signal, reader, lambda: 0, closed.append, timeout)  # type: ignore[arg-type]
    return stream, handle, signal, closed


def expected(start: int, end: int) -> bytes:
    return TORRENT[OFFSET + start : OFFSET + end]


def test_read_is_short_at_the_first_missing_piece() -> None:
    stream, _, _, _ = open_stream({0, 1, 3})
    data = stream.read(1 << 20)
    assert data == expected(0, 2 * PIECE - OFFSET)  # pieces 0 and 1, not 3 (piece 2 is missing)
    assert stream.tell() == len(data)


def test_a_blocked_read_asks_for_its_piece_now_and_wakes_when_it_arrives() -> None:
    stream, handle, signal, _ = open_stream(set())
    result: list[bytes] = []
    reader = threading.Thread(target=lambda: result.append(stream.read(100)))
    reader.start()
    reader.join(0.3)
    assert reader.is_alive() and (0, 0) in handle.deadlines  # deadline 0 on the piece the reader waits for
    handle.have.add(0)
    signal.notify()
    reader.join(10)
    assert result == [expected(0, 100)]


def test_head_and_tail_are_asked_for_first() -> None:
    _, handle, _, _ = open_stream(set())
    tail_pieces = {(OFFSET + SIZE - 1) // PIECE, (OFFSET + SIZE - 128 * 1024) // PIECE}
    first_call = dict(handle.priorities[0])
    assert all(first_call.get(p) == TOP_PRIORITY for p in tail_pieces)
    assert {(p, TAIL_DEADLINE_MS) for p in tail_pieces} <= set(handle.deadlines)
    window = dict(handle.priorities[1])
    assert window[0] == TOP_PRIORITY and all(window[p] < TOP_PRIORITY for p in window if p != 0)


def test_seek_moves_the_window_and_gives_back_the_pieces_it_leaves() -> None:
    stream, handle, _, _ = open_stream(set())
    stream.seek(6 * PIECE - OFFSET + 5)
    window = dict(handle.priorities[-1])
    assert window[6] == TOP_PRIORITY
    assert all(window[p] == 4 for p in range(0, 6) if p in window)  # behind the reader: the file's priority
    assert set(range(0, 6)) <= set(handle.reset)


def test_a_jump_ahead_drops_sequential_picking_but_reading_in_order_or_the_tail_keeps_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import app.engine.stream as stream_module

    monkeypatch.setattr(stream_module, "WINDOW_MIN_BYTES", 4 * PIECE)  # a window of 3 pieces
    monkeypatch.setattr(stream_module, "TAIL_BYTES", 1000)  # the tail is the last piece
    stream, handle, _, _ = open_stream(set(range(12)))
    stream.read(PIECE)  # in order: piece 0, then 1
    stream.seek(SIZE - 100)  # a look at the tail (an index at the end of the file)
    stream.read(10)
    stream.seek(10)
    stream.read(2 * PIECE)
    assert handle.unset == []
    stream.seek(7 * PIECE - OFFSET)  # the window now ends at piece 4: piece 7 is a jump ahead
    stream.read(10)
    assert handle.unset == [int(lt.torrent_flags.sequential_download)]


def test_reads_across_pieces_and_at_the_end_of_file() -> None:
    stream, _, _, _ = open_stream(set(range(12)))
    stream.seek(SIZE - 20_000)
    assert stream.read() == expected(SIZE - 20_000, SIZE)
    assert stream.read(10) == b""
    stream.seek(-5, 2)
    assert stream.read(100) == expected(SIZE - 5, SIZE)
    buffer = bytearray(3000)
    stream.seek(PIECE - OFFSET - 1000)  # straddles pieces 0 and 1
    assert stream.readinto(buffer) == 3000 and bytes(buffer) == expected(PIECE - OFFSET - 1000, PIECE - OFFSET + 2000)


def test_close_from_another_thread_cancels_a_blocked_read_and_is_reported_once() -> None:
    stream, _, _, closed = open_stream(set())
    errors: list[BaseException] = []

    def read() -> None:
        try:
            stream.read(10)
        except StreamClosedError as exc:
            errors.append(exc)

    reader = threading.Thread(target=read)
    reader.start()
    reader.join(0.2)
    stream.close()
    stream.close()
    reader.join(10)
    assert len(errors) == 1 and closed == [stream]
    with pytest.raises(StreamClosedError):
        stream.seek(0)


def test_read_times_out_when_nothing_arrives() -> None:
    stream, _, _, _ = open_stream(set(), timeout=0.3)
    with pytest.raises(StreamTimeoutError):
        stream.read(10)
