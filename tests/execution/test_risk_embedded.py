"""The risk engine as execution's gate, through the runtime on the embedded chain and the
sandbox market: a whale order the vault's own cap resizes is resized again, exactly, by the
price-impact limit on the kernel and then settles; a slippage bound over the policy is
rejected before anything is sent; REDUCING lets a sale into a stablecoin through and refuses
a purchase. Every decision is in the store with its rule and numbers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from zippifi.domain import IntentProposal, RiskGate
from zippifi.risk import (
    Limits,
    PreSignPolicy,
    RiskEngine,
    RiskPolicy,
    VaultBalances,
    impact_bps,
    kill,
    reference_rate,
)
from zippifi.route import PoolGraph
from zippifi.runtime import Runtime
from zippifi.sandbox import Sandbox
from zippifi.store.types import utcnow

WETH, USDC, DAI = "WETH", "USDC", "DAI"


def proposal(box: Sandbox, key: str, a: str, b: str, size: int, **fields: Any) -> IntentProposal:
    assert box.vault_account is not None
    values: dict[str, Any] = {
        "idempotency_key": key, "proposer": "test:risk", "account_id": box.vault_account.id,
        "chain_id": box.chain_id, "token_in": box.token(a), "token_out": box.token(b),
        "amount": size, "slippage_bps": 100, "deadline": utcnow() + timedelta(minutes=10),
    }  # fmt: skip
    values.update(fields)
    return IntentProposal(**values)


async def test_the_risk_engine_gates_execution_on_chain() -> None:
    async with Runtime.embedded() as rt:
        box = await Sandbox.deploy(rt)
        assert box.vault_account is not None
        policy = RiskPolicy(
            default=Limits(max_price_impact_bps=50, max_slippage_bps=200),
            stable=frozenset({box.token(USDC), box.token(DAI)}), quote=box.token(USDC),
        )  # fmt: skip
        engine = await rt.execution(box.vault_account, box.agent, **box.target(),
                                    risk=policy)  # type: ignore[arg-type]  # fmt: skip
        gate: RiskGate = engine.gate
        assert isinstance(gate, RiskEngine)
        spec = box.specs
        whale = await engine.propose(proposal(box, "whale", USDC, WETH, spec[USDC].units(250_000)))
        loose = await engine.propose(proposal(box, "loose", WETH, USDC, spec[WETH].units(1),
                                              slippage_bps=300))  # fmt: skip
        cap = spec[USDC].units(spec[USDC].max_trade)
        before = PoolGraph.from_bytes(rt.graph.to_bytes())  # what the first review will see
        looked = await engine.step()
        # the impact bound, exact on the kernel: within 50 bps, one raw unit more is not
        rate = reference_rate(before, box.token(USDC), box.token(WETH))
        first = await rt.store.intents.get(whale.id)
        assert impact_bps(before, box.token(USDC), box.token(WETH), first.amount_in, rate) <= 50
        assert impact_bps(before, box.token(USDC), box.token(WETH), first.amount_in + 1,
                          rate) > 50  # fmt: skip
        await engine.run_until_idle()
        assert whale.id in looked.resized
        assert loose.id in looked.rejected

        done = await rt.store.intents.get(whale.id)
        assert done.status == "settled"
        assert 0 < done.amount_in < cap
        (kept, *_) = await rt.store.risk_decisions.for_intent(whale.id)
        assert (kept.verdict, kept.rule) == ("resize", "price impact")
        assert kept.numbers["inner_amount_in"] == str(cap)  # the vault's own cap came first
        assert done.amount_in == first.amount_in  # routed and filled at the resized size
        (refused,) = await rt.store.risk_decisions.for_intent(loose.id)
        assert (refused.verdict, refused.rule) == ("reject", "slippage")
        assert (await rt.store.intents.get(loose.id)).status == "rejected"
        assert await rt.store.transactions.for_intent(loose.id) == []

        gate.set_state("reducing", vault=box.vault_account.id)
        sell = await engine.propose(proposal(box, "sell", WETH, USDC, spec[WETH].units(1)))
        buy = await engine.propose(proposal(box, "buy", DAI, WETH, spec[DAI].units(1_000)))
        report = await engine.run_until_idle()
        assert sell.id in report.settled
        assert buy.id in report.rejected
        (why,) = await rt.store.risk_decisions.for_intent(buy.id)
        assert why.rule == "state"


async def test_the_kill_switch_halts_and_reduces_positions_through_execution() -> None:
    async with Runtime.embedded() as rt:
        box = await Sandbox.deploy(rt)
        assert box.vault_account is not None
        vault = box.vault_account
        tokens = [box.token(s) for s in (WETH, USDC, DAI)]
        policy = RiskPolicy(stable=frozenset(tokens[1:]), quote=box.token(USDC))
        engine = await rt.execution(vault, box.agent, **box.target(),
                                    risk=policy)  # type: ignore[arg-type]  # fmt: skip
        gate = engine.gate
        assert isinstance(gate, RiskEngine)
        balances = VaultBalances(await rt.adapter(), vault.address)
        weth_before = await balances.balance(vault.id, box.token(WETH))
        usdc_before = await balances.balance(vault.id, box.token(USDC))

        pressed = utcnow()
        report = await kill(gate, vault=vault.id, chain_id=box.chain_id, reason="test",
                            sink=engine, positions=balances, tokens=tokens,
                            quote=box.token(USDC), now=pressed)  # fmt: skip
        # the same press retried (a lost answer) proposes nothing twice
        again = await kill(gate, vault=vault.id, chain_id=box.chain_id, reason="test",
                           sink=engine, positions=balances, tokens=tokens,
                           quote=box.token(USDC), now=pressed)  # fmt: skip
        assert [i.id for i in again.intents] == [i.id for i in report.intents]
        assert gate.state(vault.id) == "halted"
        (closing,) = report.intents  # WETH only: USDC and DAI are stable
        assert (closing.token_in.lower(), closing.amount) == (box.token(WETH).lower(), weth_before)
        # while halted, anything else is refused
        other = await engine.propose(proposal(box, "other", DAI, WETH, box.specs[DAI].units(10)))
        await engine.run_until_idle()
        assert (await rt.store.intents.get(other.id)).status == "rejected"
        done = await rt.store.intents.get(closing.id)
        assert done.status == "settled"  # resized to the vault's per-trade cap, and sold
        (fill,) = await rt.store.fills.for_intent(closing.id)
        assert await balances.balance(vault.id, box.token(WETH)) == weth_before - fill.amount_in
        assert await balances.balance(vault.id, box.token(USDC)) == usdc_before + fill.amount_out
        assert fill.amount_in == box.specs[WETH].units(box.specs[WETH].max_trade)


async def test_the_pre_sign_policy_stands_behind_the_agent_key() -> None:
    """The agent's submitter asks the pre-sign policy before every signature: what it allows
    settles; a swap through a token it does not list fails unsigned, nothing sent."""
    async with Runtime.embedded() as rt:
        box = await Sandbox.deploy(rt)
        assert box.vault_account is not None
        assert box.executor is not None
        rt.pre_sign = PreSignPolicy(
            vaults=frozenset({box.vault}), targets=frozenset({box.executor}),
            executors=frozenset({box.executor}),
            tokens=frozenset({box.token(WETH), box.token(USDC)}),
        )  # fmt: skip
        engine = await rt.execution(box.vault_account, box.agent, **box.target())
        ok = await engine.propose(proposal(box, "ok", WETH, USDC, box.specs[WETH].units(1)))
        bad = await engine.propose(proposal(box, "bad", WETH, DAI, box.specs[WETH].units(1)))
        await engine.run_until_idle()
        assert (await rt.store.intents.get(ok.id)).status == "settled"
        refused = await rt.store.intents.get(bad.id)
        assert refused.status == "failed"
        assert "not allowed" in (refused.status_cause or "")
        assert await rt.store.transactions.for_intent(bad.id) == []
