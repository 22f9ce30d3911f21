"""The sequence rules without a network: hypothesis drives the exchange model (tests/market/
exchange.py) through random interleavings of delivered, dropped, duplicated and replayed frames
and snapshots taken at any past update id (stale, mid-event, current). Whenever the synchronizer
says it is in sync, its book must equal the venue's book at the update id it claims; a final
clean snapshot and event must bring it back in sync. Also: the wire parsers' errors."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.market.exchange import ExchangeModel
from zippifi.errors import InvalidInputError, MalformedMarketDataError
from zippifi.market import (
    DepthEvent,
    DepthSynchronizer,
    LocalOrderBook,
    Outcome,
    SyncState,
    parse_depth_event,
    parse_snapshot,
)

ACTIONS = st.lists(
    st.one_of(
        st.tuples(st.just("send"), st.integers(1, 4)),
        st.tuples(st.just("drop"), st.integers(1, 4)),
        st.tuples(st.just("dup"), st.integers(0, 0)),
        st.tuples(st.just("replay"), st.integers(1, 10)),
        st.tuples(st.just("snapshot"), st.integers(0, 12)),  # taken this many ids back
    ),
    max_size=60,
)


def assert_consistent(sync: DepthSynchronizer, model: ExchangeModel) -> None:
    if not sync.synced:
        return
    update_id = sync.book.last_update_id
    assert update_id is not None
    bids, asks = model.history[update_id]
    assert sync.book.levels("bids") == bids
    assert sync.book.levels("asks") == asks


@given(seed=st.integers(0, 2**32 - 1), actions=ACTIONS)
def test_synced_book_always_equals_the_venue_at_its_update_id(
    seed: int, actions: list[tuple[str, int]]
) -> None:
    model = ExchangeModel(seed=seed, width=12)
    sync = DepthSynchronizer(model.symbol)
    sent: list[str] = []
    first_id = model.last_id
    for action, arg in actions:
        if action in ("send", "drop"):
            frame = json.dumps(model.emit(arg))
            if action == "send":
                sent.append(frame)
                sync.on_event(parse_depth_event(frame))
        elif action == "dup" and sent:
            sync.on_event(parse_depth_event(sent[-1]))
        elif action == "replay" and sent:
            sync.on_event(parse_depth_event(sent[-min(arg, len(sent))]))
        elif action == "snapshot" and not sync.synced:
            at = max(first_id, model.last_id - arg)
            outcome = sync.on_snapshot(parse_snapshot(json.dumps(model.snapshot(at))))
            assert outcome in {
                Outcome.APPLIED, Outcome.WAITING, Outcome.GAP, Outcome.STALE_SNAPSHOT
            }  # fmt: skip
        assert_consistent(sync, model)
    # recovery: a clean event, then (if out of sync) a current snapshot and one more event
    sync.on_event(parse_depth_event(json.dumps(model.emit())))
    if not sync.synced:
        assert sync.on_snapshot(parse_snapshot(json.dumps(model.snapshot()))) is not (
            Outcome.STALE_SNAPSHOT
        )
    assert sync.on_event(parse_depth_event(json.dumps(model.emit()))) is Outcome.APPLIED
    assert sync.state is SyncState.SYNCED
    assert sync.book.last_update_id == model.last_id
    assert_consistent(sync, model)


def event(first: int, final: int, bids: tuple[tuple[str, str], ...] = ()) -> DepthEvent:
    levels = tuple((Decimal(p), Decimal(s)) for p, s in bids)
    return DepthEvent("ETHUSDT", 0, first, final, levels, ())


def snapshot_doc(last: int, bids: list[list[str]]) -> str:
    return json.dumps({"lastUpdateId": last, "bids": bids, "asks": []})


def test_documented_walkthrough() -> None:
    sync = DepthSynchronizer("ETHUSDT")
    assert not sync.needs_snapshot  # nothing buffered yet: wait for the stream first
    assert sync.on_event(event(5, 7, (("10", "1"),))) is Outcome.BUFFERED
    assert sync.on_event(event(8, 9, (("11", "2"),))) is Outcome.BUFFERED
    assert sync.on_event(event(10, 12, (("10", "0"),))) is Outcome.BUFFERED
    assert sync.needs_snapshot
    # snapshot at 8: 5..7 is dropped, 8..9 straddles (U=8 <= 9 <= u=9) and is applied
    assert sync.on_snapshot(parse_snapshot(snapshot_doc(8, [["10", "1"], ["9", "3"]]))) is (
        Outcome.APPLIED
    )
    assert sync.counts[Outcome.DROPPED] == 1
    assert sync.book.levels("bids") == {Decimal(11): Decimal(2), Decimal(9): Decimal(3)}
    assert sync.book.last_update_id == 12
    assert sync.on_event(event(11, 12)) is Outcome.DROPPED  # old
    assert sync.on_event(event(12, 13)) is Outcome.GAP  # overlaps but does not continue 12
    assert sync.state is SyncState.UNSYNCED
    assert sync.buffered == 1
    assert sync.needs_snapshot
    assert sync.book.last_update_id is None
    assert len(sync.book) == 0


def test_stale_snapshot_keeps_the_buffer() -> None:
    sync = DepthSynchronizer()
    sync.on_event(event(20, 25))
    assert sync.on_snapshot(parse_snapshot(snapshot_doc(18, []))) is Outcome.STALE_SNAPSHOT
    assert sync.buffered == 1
    assert not sync.synced
    assert sync.on_snapshot(parse_snapshot(snapshot_doc(19, []))) is Outcome.APPLIED
    assert sync.book.last_update_id == 25


def test_snapshot_newer_than_the_buffer_waits_for_a_bridging_event() -> None:
    sync = DepthSynchronizer()
    sync.on_event(event(1, 3))
    assert sync.on_snapshot(parse_snapshot(snapshot_doc(10, [["5", "1"]]))) is Outcome.WAITING
    assert sync.state is SyncState.BRIDGING
    assert sync.on_event(event(9, 10)) is Outcome.DROPPED
    assert sync.on_event(event(12, 14)) is Outcome.GAP  # 11 is missing
    # the gap's event stays buffered and straddles the next snapshot
    assert sync.on_snapshot(parse_snapshot(snapshot_doc(12, []))) is Outcome.APPLIED
    assert sync.book.last_update_id == 14
    assert sync.on_event(event(16, 17)) is Outcome.GAP  # 15 is missing


def test_buffer_is_bounded() -> None:
    sync = DepthSynchronizer(max_buffer=3)
    for i in range(10):
        sync.on_event(event(i, i))
    assert sync.buffered == 3
    with pytest.raises(InvalidInputError, match="max_buffer"):
        DepthSynchronizer(max_buffer=0)


def test_book_rejects_bad_levels_without_changing() -> None:
    book = LocalOrderBook()
    book.load_snapshot(1, [(Decimal(1), Decimal(2))], [(Decimal(3), Decimal(1))])
    with pytest.raises(InvalidInputError, match="bids price"):
        book.apply([(Decimal(5), Decimal(1)), (Decimal(-1), Decimal(1))], [], 2)
    with pytest.raises(InvalidInputError, match="asks size"):
        book.apply([], [(Decimal(4), Decimal("NaN"))], 2)
    with pytest.raises(InvalidInputError, match="Decimal"):
        book.apply([(1.5, Decimal(1))], [], 2)  # type: ignore[list-item]
    assert book.levels("bids") == {Decimal(1): Decimal(2)}
    assert book.last_update_id == 1


def depth(**fields: object) -> dict[str, object]:
    return {"e": "depthUpdate", "E": 1, "s": "X", "U": 1, "u": 1, "b": [], "a": [], **fields}


@pytest.mark.parametrize(
    ("doc", "match"),
    [
        ("{", "not JSON"),
        ("[]", "JSON object"),
        ({"e": "trade"}, "not a depthUpdate"),
        (depth(s=None), "symbol"),
        ({k: v for k, v in depth().items() if k != "u"}, "'u'"),
        (depth(U=3, u=2), "U=3 > u=2"),
        (depth(b={}), "bids"),
        (depth(b=[["1"]]), r"\[0\]"),
        (depth(b=[[1.5, "1"]]), "string"),
        (depth(b=[["x", "1"]]), "decimal"),
        (depth(b=[["0", "1"]]), "> 0"),
        (depth(a=[["1", "-1"]]), ">= 0"),
        (depth(a=[["Infinity", "1"]]), "finite"),
        (depth(E=True), "'E'"),
    ],
)
def test_malformed_events_name_the_field(doc: object, match: str) -> None:
    raw = doc if isinstance(doc, str) else json.dumps(doc)
    with pytest.raises(MalformedMarketDataError, match=match):
        parse_depth_event(raw)


def test_parsers_keep_decimals_exact_and_ignore_legacy_third_element() -> None:
    ev = parse_depth_event(
        {
            "e": "depthUpdate", "E": 1, "s": "BNBBTC", "U": 157, "u": 160,
            "b": [["0.0024", "10", []]], "a": [["0.0026", "100"]],
        }
    )  # fmt: skip
    assert ev.bids == ((Decimal("0.0024"), Decimal(10)),)
    assert ev.asks == ((Decimal("0.0026"), Decimal(100)),)
    assert (ev.first_update_id, ev.final_update_id) == (157, 160)
    snap = parse_snapshot(
        '{"lastUpdateId": 1027024, "bids": [["4.00000000", "431.00000000"]], "asks": []}'
    )
    assert snap.last_update_id == 1027024
    assert snap.bids == ((Decimal("4.00000000"), Decimal("431.00000000")),)
    with pytest.raises(MalformedMarketDataError, match="lastUpdateId"):
        parse_snapshot({"bids": [], "asks": []})
