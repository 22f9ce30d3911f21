"""The pre-sign policy: a second line of defence, independent of how a transaction was built.

The chain layer's submitter hands every transaction an agent key is about to sign to a
:class:`~zippifi.domain.PreSignCheck`; :class:`PreSignPolicy` decodes it and allows only what
an agent may do: the vault's ``swapExactIn`` / ``swapBatch`` on an allowed vault, through an
allowed target, between allowed tokens, within a per-token cap (a route executor's plan is
decoded too: every leg's tokens must be allowed and the plan must spend what the swap says);
an ERC-20 ``approve`` to an allowed spender or ``transfer`` to an allowed payee, of an allowed
token, within the cap; and the chain layer's own no-op (zero value, no data, to itself) that
fills a nonce. Anything it cannot decode — another selector, another contract, a plain value
transfer, calldata that does not parse — is refused, naming what was wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

from zippifi.chain import decode_call, decode_route
from zippifi.chain.artifacts import load
from zippifi.domain import UnsignedTx
from zippifi.errors import InvalidInputError, PreSignRefusedError
from zippifi.sign import to_checksum_address

_VAULT = load("ZippiVault")
_ERC20 = load("ZippiTestToken")  # the standard approve/transfer selectors


def _addresses(value: frozenset[str]) -> frozenset[str]:
    return frozenset(to_checksum_address(a) for a in value)


class PreSignPolicy(BaseModel):
    """What an agent key may sign. Addresses in any case; amounts in raw units."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    vaults: frozenset[str]
    targets: frozenset[str]  # routers and route executors the vault may call
    executors: frozenset[str] = frozenset()  # targets whose calldata is a route plan
    tokens: frozenset[str]
    spenders: frozenset[str] = frozenset()
    payees: frozenset[str] = frozenset()
    max_amount: dict[str, int] = {}  # per token, per swap / approval / transfer

    @field_validator("vaults", "targets", "executors", "tokens", "spenders", "payees")
    @classmethod
    def _checksum(cls, value: frozenset[str]) -> frozenset[str]:
        return _addresses(value)

    @field_validator("max_amount")
    @classmethod
    def _caps(cls, value: dict[str, int]) -> dict[str, int]:
        return {to_checksum_address(k): v for k, v in value.items()}

    async def before_sign(self, tx: UnsignedTx, sender: str) -> None:
        """Raise PreSignRefusedError (naming the rule) unless ``tx`` is allowed."""
        to = None if tx.to is None else to_checksum_address(tx.to)
        if to is None:
            raise PreSignRefusedError("an agent key may not deploy contracts")
        if not tx.data:
            if tx.value == 0 and to == to_checksum_address(sender):
                return  # the no-op that fills a nonce
            raise PreSignRefusedError(f"a plain transfer of {tx.value} wei to {to} is not allowed")
        if tx.value != 0:
            raise PreSignRefusedError(f"a call that sends {tx.value} wei is not allowed")
        if to in self.vaults:
            return self._vault_call(to, tx.data)
        if to in self.tokens:
            return self._token_call(to, tx.data)
        raise PreSignRefusedError(f"{to} is neither an allowed vault nor an allowed token")

    def _decode(self, artifact: Any, data: bytes, what: str) -> tuple[str, Mapping[str, Any]]:
        try:
            decoded = decode_call(artifact, data)
        except InvalidInputError as exc:
            raise PreSignRefusedError(f"{what}: calldata does not parse: {exc}") from None
        if decoded is None:
            raise PreSignRefusedError(f"{what}: unknown selector 0x{data[:4].hex()}")
        return decoded

    def _vault_call(self, vault: str, data: bytes) -> None:
        name, args = self._decode(_VAULT, data, f"vault {vault}")
        if name == "swapExactIn":
            self._swap(args["target"], args["tokenIn"], args["tokenOut"], args["amountIn"],
                       args["minOut"], args["data"])  # fmt: skip
            return
        if name == "swapBatch":
            swaps = args["swaps"]
            if not swaps:
                raise PreSignRefusedError("an empty swapBatch")
            for target, token_in, token_out, amount_in, min_out, inner in swaps:
                self._swap(target, token_in, token_out, amount_in, min_out, inner)
            return
        raise PreSignRefusedError(f"vault function {name} is not an agent's to call")

    def _swap(self, target: str, token_in: str, token_out: str, amount_in: int, min_out: int,
              data: bytes) -> None:  # fmt: skip
        if target not in self.targets:
            raise PreSignRefusedError(f"swap target {target} is not allowed")
        for side, token in (("token_in", token_in), ("token_out", token_out)):
            if token not in self.tokens:
                raise PreSignRefusedError(f"swap {side} {token} is not allowed")
        self._within_cap(token_in, amount_in, "swap")
        if min_out == 0:
            raise PreSignRefusedError("a swap with no minimum output")
        if target in self.executors:
            try:
                plan = decode_route(data)
            except InvalidInputError as exc:
                raise PreSignRefusedError(f"route plan does not parse: {exc}") from None
            # the packed plan names each leg's input token (the last output is implied by its
            # pool; the vault checks what arrived of token_out)
            starts = {path.legs[0].token_in for path in plan.paths if path.legs}
            if starts != {token_in} or plan.amount_in != amount_in:
                raise PreSignRefusedError("the route plan does not spend what the swap says")
            for path in plan.paths:
                for leg in path.legs:
                    if leg.token_in not in self.tokens:
                        raise PreSignRefusedError(f"route leg token {leg.token_in} is not allowed")

    def _token_call(self, token: str, data: bytes) -> None:
        name, args = self._decode(_ERC20, data, f"token {token}")
        if name == "approve":
            spender, amount = args["spender"], args["value"]
            if spender not in self.spenders:
                raise PreSignRefusedError(f"approve to {spender}, not an allowed spender")
            self._within_cap(token, amount, "approve")
            return
        if name == "transfer":
            to, amount = args["to"], args["value"]
            if to not in self.payees:
                raise PreSignRefusedError(f"transfer to {to}, not an allowed payee")
            self._within_cap(token, amount, "transfer")
            return
        raise PreSignRefusedError(f"token function {name} is not an agent's to call")

    def _within_cap(self, token: str, amount: int, what: str) -> None:
        cap = self.max_amount.get(token)
        if cap is not None and amount > cap:
            raise PreSignRefusedError(f"{what} of {amount} {token} over the cap {cap}")
