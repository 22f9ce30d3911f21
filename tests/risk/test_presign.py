"""The pre-sign policy refuses what an agent key must never sign, however it was built:
crafted calldata (an approve to an unknown spender, a transfer out, a multicall hiding a
transfer, an unknown selector, a route plan through a token not allowed or spending more than
the swap says) and allows the vault swaps, batches and the nonce-filling no-op."""

from __future__ import annotations

import asyncio

import pytest
from eth_abi import encode

from zippifi.chain import (
    LegKind,
    VaultSwap,
    encode_call,
    plan_route,
    swap_batch_calldata,
    swap_exact_in_calldata,
)
from zippifi.chain.artifacts import load
from zippifi.domain import UnsignedTx
from zippifi.errors import PreSignRefusedError
from zippifi.risk import PreSignPolicy
from zippifi.route import PoolGraph
from zippifi.sign import keccak256, to_checksum_address

WETH, USDC, DAI, EVIL = (to_checksum_address("0x" + b * 20) for b in ("11", "22", "33", "66"))
VAULT = to_checksum_address("0x" + "5a" * 20)
EXECUTOR = to_checksum_address("0x" + "e0" * 20)
ROUTER = to_checksum_address("0x" + "e1" * 20)
AGENT = to_checksum_address("0x" + "ab" * 20)
P1, P2, P3 = (to_checksum_address("0x" + b * 20) for b in ("a1", "a2", "a3"))
E18 = 10**18

POLICY = PreSignPolicy(vaults=frozenset({VAULT}), targets=frozenset({EXECUTOR, ROUTER}),
                       executors=frozenset({EXECUTOR}), tokens=frozenset({WETH, USDC, DAI}),
                       spenders=frozenset({ROUTER}), max_amount={WETH: 10 * E18})  # fmt: skip


def tx(to: str | None, data: bytes, value: int = 0) -> UnsignedTx:
    return UnsignedTx(chain_id=1, nonce=0, to=to, value=value, data=data, gas=500_000,
                      max_fee_per_gas=1, max_priority_fee_per_gas=1)  # fmt: skip


def check(t: UnsignedTx) -> None:
    asyncio.run(POLICY.before_sign(t, AGENT))


def route_plan(token_out: str = USDC, amount: int = E18) -> bytes:
    g = PoolGraph()
    g.add_v2_pool(P1, WETH, USDC, 1_000 * E18, 3_000_000 * 10**6)
    g.add_v2_pool(P2, WETH, EVIL, 1_000 * E18, 1_000 * E18)
    g.add_v2_pool(P3, EVIL, DAI, 1_000 * E18, 3_000_000 * E18)
    route = g.best_route(WETH, token_out, amount)
    return plan_route(route, {P1: LegKind.UNISWAP_V2, P2: LegKind.UNISWAP_V2,
                              P3: LegKind.UNISWAP_V2}).calldata()  # fmt: skip


def swap(data: bytes, amount: int = E18, target: str = EXECUTOR, token_out: str = USDC,
         min_out: int = 1) -> VaultSwap:  # fmt: skip
    return VaultSwap(target, WETH, token_out, amount, min_out, data)


def test_agent_swaps_batches_and_the_no_op_pass() -> None:
    check(tx(VAULT, swap_exact_in_calldata(swap(route_plan()), 2_000_000_000)))
    check(tx(VAULT, swap_batch_calldata([swap(route_plan()), swap(b"\x01", target=ROUTER)],
                                        2_000_000_000)))  # fmt: skip
    check(tx(AGENT, b""))  # the chain layer's nonce filler
    check(tx(WETH, erc20("approve", ROUTER, E18)))


def vault_tx(plan: bytes | None = None, **swap_fields: object) -> UnsignedTx:
    data = route_plan() if plan is None else plan
    return tx(VAULT, swap_exact_in_calldata(swap(data, **swap_fields), 2_000_000_000))  # type: ignore[arg-type]


def erc20(function: str, *args: object) -> bytes:
    return encode_call(load("ZippiTestToken"), function, *args)


# fmt: off
CRAFTED = [
    (lambda: tx(WETH, erc20("approve", EVIL, E18)), "not an allowed spender"),
    (lambda: tx(WETH, erc20("transfer", EVIL, E18)), "not an allowed payee"),
    (lambda: tx(WETH, erc20("approve", ROUTER, 11 * E18)), "over the cap"),
    # a multicall wrapping a transfer: the vault has no such function, the selector is unknown
    (lambda: tx(VAULT, keccak256(b"multicall(bytes[])")[:4]
                + encode(["bytes[]"], [[erc20("transfer", EVIL, E18)]])), "unknown selector"),
    (lambda: tx(VAULT, b"\xde\xad\xbe\xef" + b"\0" * 32), "unknown selector"),
    (lambda: tx(VAULT, vault_tx().data[:40]), "does not parse"),
    (lambda: tx(EVIL, b"\x01\x02\x03\x04"), "neither an allowed vault"),
    (lambda: tx(AGENT, b"", value=5), "plain transfer"),
    (lambda: tx(None, b"\x60\x00"), "deploy"),
    (lambda: vault_tx(target=EVIL), "target"),
    (lambda: vault_tx(token_out=EVIL), "token_out"),
    (lambda: vault_tx(amount=11 * E18), "over the cap"),
    (lambda: vault_tx(min_out=0), "no minimum output"),
    # the plan routes through a token the policy does not allow (WETH -> EVIL -> DAI)
    (lambda: vault_tx(route_plan(DAI), token_out=DAI), "leg token"),
    # the swap says 1 WETH, the plan spends 2
    (lambda: vault_tx(route_plan(amount=2 * E18)), "does not spend"),
    # one bad swap in a batch refuses the batch
    (lambda: tx(VAULT, swap_batch_calldata([swap(route_plan()), swap(b"", target=EVIL)],
                                           2_000_000_000)), "target"),
    (lambda: tx(VAULT, encode_call(load("ZippiVault"), "pause")), "not an agent's to call"),
]
# fmt: on


@pytest.mark.parametrize(("build", "why"), CRAFTED, ids=[w for _, w in CRAFTED])
def test_crafted_calldata_is_refused_naming_the_rule(build, why) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PreSignRefusedError, match=why):
        check(build())
