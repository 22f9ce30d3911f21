"""ChainlinkFeed against the project's ZippiPriceFeed (python/zippifi/chain/artifacts, an
AggregatorV3 implementation) deployed on the in-process EVM through AsyncWeb3: reads compared
with calls made through the contract's own compiled ABI, staleness against the chain's block
time, answers <= 0, rounds without data. The round checks that this feed cannot produce
(updatedAt == 0, answeredInRound < roundId) are property-tested on constructed rounds."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from web3 import AsyncWeb3
from web3.providers.eth_tester import AsyncEthereumTesterProvider

from zippifi.chain.artifacts import load
from zippifi.errors import (
    IncompleteRoundError,
    InvalidInputError,
    InvalidOracleAnswerError,
    MarketDataError,
    OracleError,
    StaleOracleError,
)
from zippifi.market import (
    ChainlinkFeed,
    OracleReading,
    OracleRound,
    PairAggregator,
    check_round,
    round_problems,
)

HEARTBEAT = 3600
DECIMALS = 8


@dataclass
class Deployed:
    w3: AsyncWeb3[Any]
    contract: Any  # the feed through its own compiled ABI (the reference)
    owner: str

    async def block_time(self) -> int:
        return int((await self.w3.eth.get_block("latest"))["timestamp"])

    async def post(self, answer: int, at: int | None = None) -> None:
        fn = (
            self.contract.functions.updateAnswer(answer)
            if at is None
            else self.contract.functions.updateAnswerAt(answer, at)
        )
        tx = await fn.transact({"from": self.owner})
        await self.w3.eth.wait_for_transaction_receipt(tx)

    def feed(self, **kwargs: Any) -> ChainlinkFeed:
        return ChainlinkFeed(self.w3, self.contract.address, heartbeat_s=HEARTBEAT, **kwargs)


async def deploy(initial: int = 2000_12345678) -> Deployed:
    w3 = AsyncWeb3(AsyncEthereumTesterProvider())
    owner = (await w3.eth.accounts)[0]
    artifact = load("ZippiPriceFeed")
    factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    tx = await factory.constructor(DECIMALS, "ETH / USD", initial).transact({"from": owner})
    receipt = await w3.eth.wait_for_transaction_receipt(tx)
    contract = w3.eth.contract(address=receipt["contractAddress"], abi=artifact.abi)
    return Deployed(w3, contract, owner)


async def test_reads_match_the_contracts_own_abi() -> None:
    d = await deploy()
    for answer in (2001_00000000, 1999_99999999, 3):
        await d.post(answer)
    feed = d.feed()
    assert await feed.decimals() == DECIMALS
    assert await feed.description() == "ETH / USD"
    now = await d.block_time()
    latest = await feed.latest(now=now)
    ref = await d.contract.functions.latestRoundData().call()
    assert (latest.round_id, latest.answer, latest.started_at, latest.updated_at,
            latest.answered_in_round) == tuple(ref)  # fmt: skip
    assert latest.round_id == 4
    assert latest.price == Decimal("0.00000003")
    for round_id in (1, 2, 3):
        got = await feed.round(round_id, now=now)
        ref = await d.contract.functions.getRoundData(round_id).call()
        assert (got.round_id, got.answer, got.updated_at) == (ref[0], ref[1], ref[3])
    first = await feed.round(1, now=now)
    assert first.price == Decimal("2000.12345678")
    assert first.updated.timestamp() == first.updated_at


async def test_staleness_against_the_heartbeat() -> None:
    d = await deploy()
    now = await d.block_time()
    await d.post(2500_00000000, at=now - HEARTBEAT)  # exactly one heartbeat old: still fresh
    feed = d.feed(clock=lambda: float(now))
    assert (await feed.latest()).answer == 2500_00000000
    await d.post(2400_00000000, at=now - HEARTBEAT - 1)
    # the truth: the round as the contract's own ABI returns it, posted one second too early
    ref = await d.contract.functions.latestRoundData().call()
    assert ref[3] == now - HEARTBEAT - 1
    truth = OracleRound(*ref, decimals=DECIMALS)
    stale = f"round {ref[0]} updated {HEARTBEAT + 1} s ago, over the {HEARTBEAT} s heartbeat"
    reading = await feed.read_latest()
    assert reading == OracleReading(truth, (stale,))
    assert not reading.ok
    with pytest.raises(StaleOracleError, match="heartbeat") as info:
        await feed.latest()
    assert info.value.problems == (stale,)
    # as of earlier times it was fresh: 9 s and 0 s inside the heartbeat
    for earlier in (now - 10, now - 1):
        assert await feed.read_latest(now=earlier) == OracleReading(truth, ())
        assert await feed.latest(now=earlier) == truth


async def test_non_positive_answers_are_refused() -> None:
    d = await deploy()
    feed = d.feed()
    for answer in (0, -5):
        await d.post(answer)
        now = await d.block_time()
        with pytest.raises(InvalidOracleAnswerError, match="<= 0"):
            await feed.latest(now=now)
        reading = await feed.read_latest(now=now)
        assert reading.problems == (f"round {reading.round.round_id} answered {answer} (<= 0)",)
    # stale and non-positive at once: the error names the answer, problems list both
    await d.post(-1, at=(await d.block_time()) - 2 * HEARTBEAT)
    with pytest.raises(InvalidOracleAnswerError) as info:
        await feed.latest(now=await d.block_time())
    assert len(info.value.problems) == 2


async def test_missing_rounds_and_bad_addresses() -> None:
    d = await deploy()
    feed = d.feed()
    with pytest.raises(OracleError, match="getRoundData"):
        await feed.round(99)
    with pytest.raises(InvalidInputError, match="uint80"):
        await feed.round(2**80)
    with pytest.raises(InvalidInputError, match="address"):
        ChainlinkFeed(d.w3, "0x1234", heartbeat_s=60)
    with pytest.raises(InvalidInputError, match="heartbeat"):
        ChainlinkFeed(d.w3, d.contract.address, heartbeat_s=0)
    no_code = ChainlinkFeed(d.w3, d.owner, heartbeat_s=60)  # an account, not a contract
    with pytest.raises(MarketDataError, match="latestRoundData"):
        await no_code.latest()


async def test_rounds_feed_the_aggregator_as_oracle_quotes() -> None:
    d = await deploy()
    feed = d.feed()
    agg = PairAggregator("ETH/USD")
    r = await feed.latest(now=await d.block_time())
    agg.on_oracle("chainlink", r.updated, r.price)
    view = agg.view(r.updated)
    assert view.price == Decimal("2000.12345678")
    assert view.sources["chainlink"].kind == "oracle"


ROUNDS = st.builds(
    OracleRound,
    round_id=st.integers(0, 2**80 - 1),
    answer=st.integers(-(2**255), 2**255 - 1),
    started_at=st.integers(0, 2**40),
    updated_at=st.one_of(st.just(0), st.integers(0, 2**40)),
    answered_in_round=st.integers(0, 2**80 - 1),
    decimals=st.integers(0, 18),
)


@given(r=ROUNDS, now=st.integers(0, 2**41), heartbeat=st.integers(1, 10**6))
def test_round_checks_are_exactly_the_documented_conditions(
    r: OracleRound, now: int, heartbeat: int
) -> None:
    expected = set()
    if r.updated_at == 0 or r.answered_in_round < r.round_id:
        expected.add(IncompleteRoundError)
    if r.answer <= 0:
        expected.add(InvalidOracleAnswerError)
    if r.updated_at != 0 and now - r.updated_at > heartbeat:
        expected.add(StaleOracleError)
    problems = round_problems(r, now, heartbeat)
    assert {kind for kind, _ in problems} == expected
    if expected:
        with pytest.raises(OracleError) as info:
            check_round(r, now, heartbeat)
        assert type(info.value) is problems[0][0]
        assert info.value.problems == tuple(text for _, text in problems)
    else:
        assert check_round(r, now, heartbeat) is r
        assert Fraction(r.price) == Fraction(r.answer, 10**r.decimals)  # exact at any size
