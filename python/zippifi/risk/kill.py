"""The kill switch: halt a vault and, when asked, close its positions by selling every
non-stable token it holds into the quote token, through the same intent path as any trade
(the risk engine lets exactly these through while HALTED: they only shrink exposure)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from zippifi.domain import IntentProposal, IntentSink, TradeIntent
from zippifi.errors import InvalidInputError
from zippifi.risk.gate import KILL_SWITCH, PositionSource, RiskEngine
from zippifi.sign import to_checksum_address


@dataclass(frozen=True, slots=True)
class KillReport:
    vault: int
    intents: tuple[TradeIntent, ...]  # the reducing intents proposed (empty: halt only)


async def kill(
    engine: RiskEngine, *, vault: int, chain_id: int, reason: str, sink: IntentSink | None = None,
    positions: PositionSource | None = None, tokens: Iterable[str] = (), quote: str | None = None,
    slippage_bps: int = 100, now: datetime, deadline_s: int = 600, key: str = "kill",
) -> KillReport:  # fmt: skip
    """HALT ``vault`` now; with a ``sink``, also propose selling the vault's whole balance of
    each of ``tokens`` that is not stable into ``quote``. Proposals are keyed ``<key>/<token>``:
    the same press retried (same ``key`` and ``now``, before anything sold) proposes nothing
    twice; a later press needs a new ``key``."""
    engine.set_state("halted", vault=vault)
    if sink is None:
        return KillReport(vault, ())
    if positions is None or quote is None:
        raise InvalidInputError(
            "closing positions needs their source and the quote token to sell into"
        )
    stable = engine.policy.stable | {to_checksum_address(quote)}
    proposed = []
    for token in tokens:
        token = to_checksum_address(token)
        if token in stable:
            continue
        held = await positions.balance(vault, token)
        if held <= 0:
            continue
        proposed.append(await sink.propose(IntentProposal(
            idempotency_key=f"{key}/{token}", proposer=KILL_SWITCH, account_id=vault,
            chain_id=chain_id, token_in=token, token_out=quote, amount=held,
            slippage_bps=slippage_bps, deadline=now + timedelta(seconds=deadline_s),
            urgency="urgent", reason=f"kill switch: {reason}",
        )))  # fmt: skip
    return KillReport(vault, tuple(proposed))
