"""What the gate enforces, as configuration: limits per vault, strategy and token, merged from
the general to the specific (a token's own limit beats its strategy's, which beats its vault's,
which beats the default). Amounts are raw units of the quote token (notional) or of the token
itself (positions); never floats."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from zippifi.sign import to_checksum_address

BPS = 10_000


class Limits(BaseModel):
    """One scope's limits; None leaves a limit to the wider scope (or off)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_notional_per_trade: int | None = Field(default=None, ge=0)
    max_notional_per_window: int | None = Field(default=None, ge=0)
    window_s: int | None = Field(default=None, gt=0)
    max_slippage_bps: int | None = Field(default=None, ge=0, le=BPS)
    max_price_impact_bps: int | None = Field(default=None, ge=0, le=BPS)
    # the most of a token a vault may hold after a trade, raw units of that token
    max_position: int | None = Field(default=None, ge=0)
    max_proposals_per_minute: int | None = Field(default=None, ge=0)


def _merge(*scopes: Limits | None) -> Limits:
    """The first non-None value of each limit, most specific scope first."""
    values: dict[str, object] = {}
    for scope in scopes:
        if scope is None:
            continue
        for name, value in scope.model_dump().items():
            if value is not None and name not in values:
                values[name] = value
    return Limits.model_validate(values)


class RiskPolicy(BaseModel):
    """Every scope's limits, the tokens allowed to trade (None: any) and the token categories
    (e.g. ``stable``), whose exposure the REDUCING state lets only shrink."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    default: Limits = Limits()
    vaults: dict[int, Limits] = {}
    strategies: dict[int, Limits] = {}
    tokens: dict[str, Limits] = {}
    allowlist: frozenset[str] | None = None
    # tokens that are the quote side of exposure (stablecoins): trades into them reduce it
    stable: frozenset[str] = frozenset()
    # the token notional limits are counted in (raw units); None: the runtime picks one
    quote: str | None = None

    @field_validator("tokens")
    @classmethod
    def _token_keys(cls, value: dict[str, Limits]) -> dict[str, Limits]:
        return {to_checksum_address(k): v for k, v in value.items()}

    @field_validator("quote")
    @classmethod
    def _quote(cls, value: str | None) -> str | None:
        return None if value is None else to_checksum_address(value)

    @field_validator("allowlist", "stable")
    @classmethod
    def _token_sets(cls, value: frozenset[str] | None) -> frozenset[str] | None:
        return None if value is None else frozenset(to_checksum_address(t) for t in value)

    def limits(self, *, vault: int, strategy: int | None, token: str) -> Limits:
        return _merge(
            self.tokens.get(to_checksum_address(token)),
            None if strategy is None else self.strategies.get(strategy),
            self.vaults.get(vault),
            self.default,
        )
