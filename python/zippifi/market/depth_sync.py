"""Binance's rules for keeping a local book in sync with the diff depth stream, without I/O.

The venue's documented procedure (spot, ``<symbol>@depth``):

1. buffer the stream's events, then fetch a REST snapshot (``lastUpdateId``);
2. drop buffered events with ``u <= lastUpdateId``;
3. the first event applied must have ``U <= lastUpdateId + 1 <= u`` -- if the first remaining
   event starts later, the snapshot is older than the stream: fetch another;
4. afterwards each event's ``U`` must be the previous event's ``u + 1``; anything else is a gap:
   discard the book and start again from a new snapshot (the event that revealed the gap is kept
   as the first of the new buffer: it is newer than anything missed);
5. an event's sizes are absolute; zero removes the level.

An event with ``u`` at or below the book's update id changes nothing it has not already seen (a
duplicate or a replay) and is dropped. :class:`DepthSynchronizer` is fed events and snapshots in
the order they arrive and says what it did with each; the feed does the I/O.
"""

from __future__ import annotations

import enum
from collections import Counter, deque
from dataclasses import dataclass

from zippifi.errors import InvalidInputError
from zippifi.market.book import Level, LocalOrderBook

DEFAULT_MAX_BUFFER = 100_000


@dataclass(frozen=True, slots=True)
class DepthEvent:
    """One ``depthUpdate``: sizes for price levels from update ``first_update_id`` (``U``)
    through ``final_update_id`` (``u``)."""

    symbol: str
    event_time_ms: int
    first_update_id: int
    final_update_id: int
    bids: tuple[Level, ...]
    asks: tuple[Level, ...]

    def __post_init__(self) -> None:
        if self.first_update_id > self.final_update_id:
            raise InvalidInputError(
                f"depth event has U={self.first_update_id} > u={self.final_update_id}"
            )


@dataclass(frozen=True, slots=True)
class DepthSnapshot:
    """The REST depth answer: the book as of update ``last_update_id``."""

    last_update_id: int
    bids: tuple[Level, ...]
    asks: tuple[Level, ...]


class SyncState(enum.Enum):
    UNSYNCED = "unsynced"  # buffering; a snapshot is needed
    BRIDGING = "bridging"  # book loaded from a snapshot; the next event must straddle it
    SYNCED = "synced"  # every event must continue the previous one


class Outcome(enum.Enum):
    BUFFERED = "buffered"  # kept until a snapshot arrives
    APPLIED = "applied"  # the book changed (or was loaded and caught up)
    DROPPED = "dropped"  # already reflected in the book (duplicate, replay, pre-snapshot)
    GAP = "gap"  # sequence broken: the book was discarded, a new snapshot is needed
    STALE_SNAPSHOT = "stale_snapshot"  # the snapshot is older than the stream: fetch another
    WAITING = "waiting"  # snapshot loaded; no event after it has arrived yet


class DepthSynchronizer:
    """The sequence rules above over one :class:`LocalOrderBook`. ``book`` is trustworthy
    exactly when :attr:`synced` is true."""

    def __init__(self, symbol: str = "", *, max_buffer: int = DEFAULT_MAX_BUFFER) -> None:
        if max_buffer < 1:
            raise InvalidInputError(f"max_buffer must be >= 1, got {max_buffer}")
        self.book = LocalOrderBook(symbol)
        self.state = SyncState.UNSYNCED
        # Bounded: if snapshots keep failing, the oldest events go first (a later snapshot
        # covers them anyway, or is found stale and refetched).
        self._buffer: deque[DepthEvent] = deque(maxlen=max_buffer)
        # what happened to every event, replays from the buffer included
        self.counts: Counter[Outcome] = Counter()

    @property
    def synced(self) -> bool:
        return self.state is not SyncState.UNSYNCED

    @property
    def needs_snapshot(self) -> bool:
        """True once unsynced with at least one event buffered (the docs fetch the snapshot
        after the stream has started, so it is likely to overlap the buffer)."""
        return self.state is SyncState.UNSYNCED and bool(self._buffer)

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    def reset(self) -> None:
        """Forget the book and the buffer (a new connection starts from scratch)."""
        self.book.clear()
        self._buffer.clear()
        self.state = SyncState.UNSYNCED

    def on_event(self, event: DepthEvent) -> Outcome:
        if self.state is SyncState.UNSYNCED:
            self._buffer.append(event)
            self.counts[Outcome.BUFFERED] += 1
            return Outcome.BUFFERED
        return self._apply(event)

    def on_snapshot(self, snapshot: DepthSnapshot) -> Outcome:
        """Load ``snapshot`` and replay the buffer over it. ``STALE_SNAPSHOT`` leaves the book
        unsynced with the buffer intact (fetch another snapshot); ``GAP`` means the buffer
        itself was broken and has been restarted from the event after the break."""
        last = snapshot.last_update_id
        while self._buffer and self._buffer[0].final_update_id <= last:
            self._buffer.popleft()  # already in the snapshot
            self.counts[Outcome.DROPPED] += 1
        if self._buffer and self._buffer[0].first_update_id > last + 1:
            return Outcome.STALE_SNAPSHOT
        self.book.load_snapshot(last, snapshot.bids, snapshot.asks)
        self.state = SyncState.BRIDGING
        pending, self._buffer = self._buffer, deque(maxlen=self._buffer.maxlen)
        if not pending:
            return Outcome.WAITING
        while pending:
            outcome = self._apply(pending.popleft())
            if outcome is Outcome.GAP:
                self._buffer.extend(pending)  # events after the break stay buffered
                return Outcome.GAP
        return Outcome.APPLIED

    def _apply(self, event: DepthEvent) -> Outcome:
        outcome = self._apply_one(event)
        self.counts[outcome] += 1
        return outcome

    def _apply_one(self, event: DepthEvent) -> Outcome:
        last = self.book.last_update_id
        assert last is not None  # loaded by a snapshot in both synced states
        if event.final_update_id <= last:
            return Outcome.DROPPED
        if self.state is SyncState.BRIDGING:
            in_sequence = event.first_update_id <= last + 1
        else:
            in_sequence = event.first_update_id == last + 1
        if not in_sequence:
            self.book.clear()
            self._buffer.clear()
            self._buffer.append(event)
            self.state = SyncState.UNSYNCED
            return Outcome.GAP
        self.book.apply(event.bids, event.asks, event.final_update_id)
        self.state = SyncState.SYNCED
        return Outcome.APPLIED


__all__ = [
    "DepthEvent",
    "DepthSnapshot",
    "DepthSynchronizer",
    "Outcome",
    "SyncState",
]
