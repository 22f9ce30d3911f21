"""What execution decided for one intent, before anything is signed."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Hop:
    """One pool of a route with the exact amounts the kernel quoted through it."""

    pool: str
    token_in: str
    token_out: str
    amount_in: int
    amount_out: int


@dataclass(frozen=True, slots=True)
class SwapPlan:
    """One swap through the vault: the target it calls and the calldata for it, the exact
    quote of the route on the pool graph, and the minimum output the vault will enforce
    (the quote less the intent's slippage, never below the vault's oracle bound)."""

    intent_id: int
    chain_id: int
    vault: str
    target: str
    token_in: str
    token_out: str
    amount_in: int
    quoted_out: int
    min_out: int
    oracle_bound: int
    deadline: int  # unix seconds
    target_calldata: bytes  # what the vault calls the target with
    vault_calldata: bytes  # what the agent sends the vault
    pools: tuple[str, ...]
    gas_estimate: int
    hops: tuple[Hop, ...] = ()

    @property
    def slippage_room(self) -> int:
        return self.quoted_out - self.min_out
