"""ChainlinkFeed against Chainlink's own contracts, from npm (@chainlink/contracts, compiled from
the published sources by the solc their pragma pins; tests/uniswap/artifacts.py): its
MockV3Aggregator behind its legacy AggregatorProxy (DataFeedsLegacyAggregatorProxy), on the
in-process EVM.

The proxy names each round ``(phaseId << 64) | aggregatorRoundId``; ``confirmAggregator`` starts
the next phase, whose rounds count from the new aggregator's ids, and old phases stay readable
through the proxy. The truth each read is compared with is the aggregators' own round data,
phase-encoded here, and the proxy's own answer through its compiled ABI. A random walk of
answers, explicit rounds and aggregator changes (each aggregator with its own decimals) is
checked against a model of the phases.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Context, Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from web3 import AsyncWeb3
from web3.providers.eth_tester import AsyncEthereumTesterProvider

from tests.store.conftest import session_loop
from tests.uniswap.artifacts import Artifact, HarnessUnavailableError, helper_artifact
from zippifi.errors import IncompleteRoundError, OracleError, StaleOracleError
from zippifi.market import ChainlinkFeed, OracleRound

HEARTBEAT = 3600
EXACT = Context(prec=100)  # answers here have at most 31 digits
PHASE_OFFSET = 64  # the proxy's: round id = (phaseId << 64) | aggregatorRoundId


def phased(phase: int, aggregator_round: int) -> int:
    return (phase << PHASE_OFFSET) | aggregator_round


@pytest.fixture(scope="module")
def artifacts() -> tuple[Artifact, Artifact]:
    try:
        return helper_artifact("DataFeedsLegacyAggregatorProxy"), helper_artifact(
            "MockV3Aggregator"
        )
    except HarnessUnavailableError as exc:
        pytest.skip(f"Chainlink's contracts are not available: {exc}")


@dataclass
class Chain:
    w3: AsyncWeb3[Any]
    owner: str
    proxy_artifact: Artifact
    aggregator_artifact: Artifact
    proxy: Any = None
    aggregators: list[Any] = field(default_factory=list)  # phase n is aggregators[n - 1]

    async def send(self, fn: Any) -> None:
        tx = await fn.transact({"from": self.owner})
        receipt = await self.w3.eth.wait_for_transaction_receipt(tx)
        assert receipt["status"] == 1

    async def deploy(self, artifact: Artifact, *args: Any) -> Any:
        factory = self.w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
        tx = await factory.constructor(*args).transact({"from": self.owner})
        receipt = await self.w3.eth.wait_for_transaction_receipt(tx)
        return self.w3.eth.contract(address=receipt["contractAddress"], abi=artifact.abi)

    async def new_aggregator(self, decimals: int, answer: int) -> tuple[Any, int]:
        """A MockV3Aggregator (round 1 = ``answer``, at the time returned), behind the proxy:
        deployed with it at first, then proposed and confirmed, which starts the next phase."""
        aggregator = await self.deploy(self.aggregator_artifact, decimals, answer)
        deployed_at = await self.block_time()
        if self.proxy is None:
            self.proxy = await self.deploy(self.proxy_artifact, aggregator.address)
        else:
            await self.send(self.proxy.functions.proposeAggregator(aggregator.address))
            await self.send(self.proxy.functions.confirmAggregator(aggregator.address))
        self.aggregators.append(aggregator)
        assert await self.proxy.functions.phaseId().call() == len(self.aggregators)
        return aggregator, deployed_at

    async def block_time(self) -> int:
        return int((await self.w3.eth.get_block("latest"))["timestamp"])

    async def truth(self, phase: int, aggregator_round: int | None = None) -> OracleRound:
        """The round as the phase's own aggregator holds it, phase-encoded here, scaled by that
        aggregator's decimals."""
        aggregator = self.aggregators[phase - 1]
        fns = aggregator.functions
        raw = await (
            fns.latestRoundData()
            if aggregator_round is None
            else fns.getRoundData(aggregator_round)
        ).call()
        round_id, answer, started_at, updated_at, answered_in_round = raw
        return OracleRound(
            phased(phase, round_id), answer, started_at, updated_at,
            phased(phase, answered_in_round), await fns.decimals().call(),
        )  # fmt: skip

    def feed(self) -> ChainlinkFeed:
        return ChainlinkFeed(self.w3, self.proxy.address, heartbeat_s=HEARTBEAT)


_w3: list[AsyncWeb3[Any]] = []  # one in-process chain for the module: each test deploys anew


async def start(artifacts: tuple[Artifact, Artifact]) -> Chain:
    if not _w3:
        _w3.append(AsyncWeb3(AsyncEthereumTesterProvider()))
    w3 = _w3[0]
    return Chain(w3, (await w3.eth.accounts)[0], *artifacts)


def fields(r: OracleRound) -> tuple[int, int, int, int, int]:
    return r.round_id, r.answer, r.started_at, r.updated_at, r.answered_in_round


async def test_phase_encoded_rounds_across_an_aggregator_change(
    artifacts: tuple[Artifact, Artifact],
) -> None:
    chain = await start(artifacts)
    first, _ = await chain.new_aggregator(8, 2000_00000000)
    for answer in (2001_00000000, 1999_50000000):
        await chain.send(first.functions.updateAnswer(answer))
    feed = chain.feed()  # one reader for the whole run, as a daemon keeps it
    now = await chain.block_time()

    latest = await feed.latest(now=now)
    assert latest == await chain.truth(1)
    assert latest.round_id == phased(1, 3)
    assert fields(latest) == tuple(await chain.proxy.functions.latestRoundData().call())
    assert latest.price == Decimal("1999.5")
    for k in (1, 2, 3):
        assert await feed.round(phased(1, k), now=now) == await chain.truth(1, k)

    # a new aggregator with other decimals: phase 2, whose rounds count from 1 again
    second, _ = await chain.new_aggregator(18, 2002 * 10**18)
    await chain.send(second.functions.updateAnswer(2003 * 10**18))
    now = await chain.block_time()
    latest = await feed.latest(now=now)
    assert latest == await chain.truth(2)
    assert latest.round_id == phased(2, 2)
    assert (latest.phase, latest.aggregator_round_id) == (2, 2)
    assert fields(latest) == tuple(await chain.proxy.functions.latestRoundData().call())
    assert latest.price == Decimal(2003)  # scaled by the new aggregator's 18 decimals
    assert latest.round_id > phased(1, 3)  # ids keep growing across phases
    # the old phase is still read through the proxy, in its own aggregator's decimals
    for k in (1, 2, 3):
        old = await feed.round(phased(1, k), now=now)
        assert old == await chain.truth(1, k)
        assert fields(old) == tuple(await chain.proxy.functions.getRoundData(phased(1, k)).call())
    assert (await feed.round(phased(1, 2), now=now)).price == Decimal(2001)
    assert await feed.round(phased(2, 1), now=now) == await chain.truth(2, 1)
    assert await feed.decimals() == 18  # the proxy's: its current aggregator's

    # round 0 of a phase was never answered; a phase not started yet has no aggregator
    with pytest.raises(IncompleteRoundError):
        await feed.round(phased(2, 0), now=now)
    with pytest.raises(OracleError, match="getRoundData"):
        await feed.round(phased(3, 1), now=now)


async def test_round_checks_on_proxied_rounds(artifacts: tuple[Artifact, Artifact]) -> None:
    chain = await start(artifacts)
    await chain.new_aggregator(8, 2000_00000000)
    second, _ = await chain.new_aggregator(8, 2100_00000000)
    feed = chain.feed()
    now = await chain.block_time()
    # an explicit round of the aggregator, older than the heartbeat: stale through the proxy
    at = now - HEARTBEAT - 5
    await chain.send(second.functions.updateRoundData(7, 2050_00000000, at, at))
    now = await chain.block_time()
    reading = await feed.read_latest(now=now)
    assert reading.round == await chain.truth(2)
    assert reading.round.round_id == phased(2, 7)
    assert reading.round.answered_in_round == reading.round.round_id  # encoded alike
    age = now - at
    assert reading.problems == (
        f"round {phased(2, 7)} updated {age} s ago, over the {HEARTBEAT} s heartbeat",
    )
    with pytest.raises(StaleOracleError):
        await feed.latest(now=now)
    assert (await feed.read_latest(now=at + HEARTBEAT)).ok  # fresh as of its heartbeat's end
    # an answer of 0 in an explicit round of the current phase
    await chain.send(second.functions.updateRoundData(8, 0, now, now))
    with pytest.raises(OracleError, match="<= 0"):
        await feed.latest(now=await chain.block_time())


# A walk: each step posts an answer to the current aggregator, or an explicit round (id, answer,
# age), or switches to a new aggregator with its own decimals and first answer.
ANSWER = st.tuples(st.just("answer"), st.integers(1, 10**30))
# ids leave room for the walk's increments: the proxy keeps 64 bits of them
ROUND = st.tuples(
    st.just("round"),
    st.integers(1, 2**64 - 9),
    st.integers(-(10**30), 10**30),
    st.integers(0, 3 * HEARTBEAT),
)
SWITCH = st.tuples(st.just("switch"), st.integers(0, 36), st.integers(1, 10**30))
STEPS = st.lists(st.one_of(ANSWER, ROUND, SWITCH), min_size=1, max_size=8)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=STEPS, first_decimals=st.integers(0, 36))
def test_walk_of_answers_and_aggregator_changes_against_a_model(
    artifacts: tuple[Artifact, Artifact], steps: list[tuple[Any, ...]], first_decimals: int
) -> None:
    session_loop.run(_walk(artifacts, steps, first_decimals))


async def _walk(
    artifacts: tuple[Artifact, Artifact], steps: list[tuple[Any, ...]], first_decimals: int
) -> None:
    chain = await start(artifacts)
    _, deployed_at = await chain.new_aggregator(first_decimals, 1)
    feed = chain.feed()
    # the model: per phase, its decimals and its rounds (aggregator round -> answer, updatedAt)
    decimals = [first_decimals]
    rounds: list[dict[int, tuple[int, int]]] = [{1: (1, deployed_at)}]
    latest = [1]
    for step in steps:
        current = chain.aggregators[-1]
        if step[0] == "answer":
            await chain.send(current.functions.updateAnswer(step[1]))
            latest[-1] += 1
            rounds[-1][latest[-1]] = (step[1], await chain.block_time())
        elif step[0] == "round":
            _, k, answer, age = step
            at = max(await chain.block_time() - age, 1)
            await chain.send(current.functions.updateRoundData(k, answer, at, at))
            latest[-1] = k
            rounds[-1][k] = (answer, at)
        else:
            _, places, answer = step
            _, deployed_at = await chain.new_aggregator(places, answer)
            decimals.append(places)
            rounds.append({1: (answer, deployed_at)})
            latest.append(1)
        now = await chain.block_time()
        got = (await feed.read_latest(now=now)).round
        phase = len(decimals)
        answer, at = rounds[-1][latest[-1]]
        assert got == OracleRound(
            phased(phase, latest[-1]), answer, at, at, phased(phase, latest[-1]), decimals[-1]
        )
        assert (got.phase, got.aggregator_round_id) == (phase, latest[-1])
        assert got.price == Decimal(answer).scaleb(-decimals[-1], context=EXACT)
    # every round of every phase, read back through the proxy by its phase-encoded id
    now = await chain.block_time()
    for phase, held in enumerate(rounds, start=1):
        for k, (answer, at) in held.items():
            got = (await feed.read_round(phased(phase, k), now=now)).round
            assert got == OracleRound(
                phased(phase, k), answer, at, at, phased(phase, k), decimals[phase - 1]
            )
