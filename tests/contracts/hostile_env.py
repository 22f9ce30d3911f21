"""A vault (ERC-1967 proxy, as zippifi.chain.vault deploys it) on a hardhat node, surrounded by
what an attacker holding the agent key can reach: our router and pairs, the route executor,
hostile targets (one the owners allowlisted as a router, one as an executor, one never
allowlisted), a hostile token the owners listed, an unlisted token, other implementations to
upgrade to, and a probe that reads the whole state in one call (:meth:`HostileEnv.view`).

Tokens: WETH ($3,000, 8-decimal feed), USDC ($1, 6 decimals), DAI ($1, 18-decimal feed), EVIL
(a HostileToken at $1 whose quirks the attacker switches, listed), JUNK ($2, never listed at
the start). Pairs with USDC for each of the others (none for WETH/DAI). Owners: three keys,
threshold 2; the upgrade delay is the vault's minimum, one hour, so upgrades happen within a
sequence.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from tests.contracts.devnode import DevNode, Receipt, Reverted, calldata, decode
from tests.uniswap.artifacts import helper_artifact
from zippifi.chain import ActionKind, VaultAction, action, sign_action
from zippifi.chain.artifacts import Artifact, DecodedError, load, names
from zippifi.chain.vault import implementation_initcode, initialize_calldata, proxy_initcode
from zippifi.sign import Signer, to_checksum_address

DAY = 24 * 60 * 60
OWNER_KEYS = [bytes([i]) * 32 for i in (0x11, 0x22, 0x33)]
SLIPPAGE_BPS = 100
FEED_MAX_AGE = 3600
UPGRADE_DELAY = 3600
MAX_ENTRIES = 64
MAX_AMOUNT = 2**128 - 1
SYMBOLS = ("WETH", "USDC", "DAI", "EVIL", "JUNK")
# symbol -> (decimals, feed decimals, price in feed units, vault funds in whole tokens)
TOKENS: dict[str, tuple[int, int, int, int]] = {
    "WETH": (18, 8, 3000 * 10**8, 100),
    "USDC": (6, 8, 10**8, 500_000),
    "DAI": (18, 18, 10**18, 500_000),
    "EVIL": (18, 8, 10**8, 500_000),
    "JUNK": (18, 8, 2 * 10**8, 500_000),
}
# (per trade, rolling 24 h) in whole tokens; DAI's is 1.5 trades, so its cap runs out often
CAPS = {"WETH": (10, 25), "USDC": (30_000, 75_000), "DAI": (30_000, 45_000)}
CAPS |= {"EVIL": (30_000, 75_000), "JUNK": (20_000, 40_000)}
LISTED = ("WETH", "USDC", "DAI", "EVIL")
# pairs on our router: (other token, its whole-token reserve, USDC reserve)
PAIRS = {"WETH": (100_000, 300_000_000), "DAI": (20_000_000, 20_000_000)}
PAIRS |= {"EVIL": (20_000_000, 20_000_000), "JUNK": (10_000_000, 20_000_000)}
STOCK = 10**12  # whole tokens each hostile target holds of each token


# ------------------------------------------------------------------------------- errors


def _artifact(name: str) -> Artifact:
    h = helper_artifact(name)
    return Artifact(h.name, "contracts/test", "", h.abi, h.bytecode, "")


class Errors:
    """Decodes revert data against every ABI here: ours (the vault first), the test helpers'."""

    HELPERS = ("HostileToken", "HostileTarget", "HostilePool", "ZippiVaultV2Mock")

    def __init__(self) -> None:
        shipped = sorted((load(n) for n in names()), key=lambda a: a.name != "ZippiVault")
        self.artifacts = shipped + [_artifact(n) for n in self.HELPERS]

    def decode(self, data: bytes) -> DecodedError | None:
        for art in self.artifacts:
            decoded = art.decode_error(data)
            if decoded is not None:
                return decoded
        return None

    def chain(self, data: bytes) -> list[DecodedError | None]:
        """The error and, through each SwapCallFailed, the target's own error inside it."""
        out: list[DecodedError | None] = []
        while True:
            err = self.decode(data)
            out.append(err)
            if err is None or err.name != "SwapCallFailed":
                return out
            data = bytes(err.args["reason"])


ERRORS = Errors()


class ChainError(Exception):
    """A transaction reverted; ``names`` is the decoded error chain (outer first, None for
    revert data that is no custom error of ours, e.g. empty)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.errors = ERRORS.chain(data)
        self.names = [e.name if e else None for e in self.errors]
        super().__init__(" <- ".join(str(e) if e else f"0x{data.hex()}" for e in self.errors))

    @property
    def name(self) -> str | None:
        return self.names[0]


# ------------------------------------------------------------------------------- the view


@dataclass(frozen=True)
class TokenView:
    allowed: bool
    decimals: int
    max_trade: int
    daily_cap: int
    window_sum: int
    window_entries: int
    feed: str
    feed_decimals: int
    max_age: int
    answer: int
    updated_at: int


@dataclass(frozen=True)
class AccountView:
    mode: int  # 0 not a target, 1 approve-mode target, 2 executor
    agent: bool


@dataclass(frozen=True)
class View:
    """The chain as the probe read it, with windows and feeds judged at time ``at``."""

    at: int
    paused: bool
    threshold: int
    nonce: int
    guardian: str
    slippage_bps: int
    owners_hash: int
    upgrade_delay: int
    pending: tuple[str, int, int]  # implementation, data hash, eta
    implementation: str
    eth: int
    tokens: dict[str, TokenView]  # by symbol
    accounts: dict[str, AccountView]  # roles, by address
    balances: dict[tuple[str, str], int]  # (symbol, address) -> balance
    allowances: dict[tuple[str, str], int]  # (symbol, spender) -> the vault's allowance
    reserves: dict[str, tuple[int, int, str]]  # pair -> (reserve0, reserve1, token0)

    def config(self) -> tuple[Any, ...]:
        """What only owners (and the guardian's pause) may change."""
        tokens = tuple(
            (s, t.allowed, t.decimals, t.max_trade, t.daily_cap, t.feed, t.max_age)
            for s, t in sorted(self.tokens.items())
        )
        roles = tuple((a, v.mode, v.agent) for a, v in sorted(self.accounts.items()))
        return (
            self.paused,
            self.threshold,
            self.nonce,
            self.guardian,
            self.slippage_bps,
            self.owners_hash,
            self.upgrade_delay,
            self.pending,
            self.implementation,
            tokens,
            roles,
        )


def word_arrays(data: bytes) -> list[list[int]]:
    """ABI-decodes a ``uint256[][]`` return value (by hand: eth_abi is slow at this size)."""

    def word(at: int) -> int:
        return int.from_bytes(data[at : at + 32], "big")

    base = word(0)  # offset of the outer array
    count = word(base)
    heads = base + 32
    out = []
    for i in range(count):
        start = heads + word(heads + 32 * i)
        n = word(start)
        out.append([word(start + 32 * (k + 1)) for k in range(n)])
    return out


def _signed(word: int) -> int:
    return word - 2**256 if word >= 2**255 else word


def _address(word: int) -> str:
    return to_checksum_address("0x" + word.to_bytes(20, "big").hex())


def usd(view: View, sym: str, amount: int) -> Fraction | None:
    """amount of sym in USD at its feed's answer; None when it has no feed or no positive price
    (decimals are the token's own: a delisted token's config forgets them)."""
    t = view.tokens[sym]
    if t.answer <= 0 or int(t.feed, 16) == 0:
        return None
    return Fraction(amount * t.answer, 10 ** (TOKENS[sym][0] + t.feed_decimals))


def oracle_bound(view: View, sin: str, sout: str, amount_in: int) -> int:
    """The vault's minimum acceptable output, from README's formula in exact rationals (the
    vault's answer must be the floor of each step)."""
    ti, to = view.tokens[sin], view.tokens[sout]
    dec_in, dec_out = TOKENS[sin][0], TOKENS[sout][0]
    implied_exact = Fraction(
        amount_in * ti.answer * 10 ** (dec_out + to.feed_decimals),
        to.answer * 10 ** (dec_in + ti.feed_decimals),
    )
    implied = implied_exact.numerator // implied_exact.denominator
    return implied * (10_000 - view.slippage_bps) // 10_000


# ------------------------------------------------------------------------------- the env


@dataclass
class HostileEnv:
    node: DevNode
    deployer: str
    agent: str
    guardian: str
    attacker: str  # the attacker's own wallet: where stolen output would go
    treasury: str  # where owners withdraw to
    tax_sink: str  # where the hostile token's tax goes
    owners: list[Signer]
    tokens: dict[str, str] = field(default_factory=dict)  # symbol -> address
    feeds: dict[str, str] = field(default_factory=dict)
    pairs: dict[str, str] = field(default_factory=dict)  # other symbol -> its USDC pair
    addresses: dict[str, str] = field(default_factory=dict)  # role -> address

    @property
    def vault(self) -> str:
        return self.addresses["vault"]

    @property
    def symbol_of(self) -> dict[str, str]:
        return {a: s for s, a in self.tokens.items()}

    def send(self, sender: str, to: str | None, data: bytes, value: int = 0) -> Receipt:
        """A transaction; ChainError (decoded) if it reverts."""
        try:
            return self.node.send(sender, to, data, value)
        except Reverted as exc:
            raise ChainError(exc.data) from exc

    def call(self, to: str, data: bytes, sender: str | None = None) -> bytes:
        try:
            return self.node.call(to, data, sender)
        except Reverted as exc:
            raise ChainError(exc.data) from exc

    def deploy(self, initcode: bytes, value: int = 0, sender: str | None = None) -> str:
        try:
            return self.node.deploy(sender or self.deployer, initcode, value)
        except Reverted as exc:
            raise ChainError(exc.data) from exc

    def deploy_helper(self, name: str, types: Sequence[str] = (), args: Sequence[Any] = ()) -> str:
        from eth_abi.abi import encode

        art = helper_artifact(name)
        return self.deploy(bytes.fromhex(art.bytecode[2:]) + encode(list(types), list(args)))

    def deploy_ours(self, name: str, types: Sequence[str] = (), args: Sequence[Any] = ()) -> str:
        from eth_abi.abi import encode

        art = load(name)
        return self.deploy(bytes.fromhex(art.bytecode[2:]) + encode(list(types), list(args)))

    # ------------------------------------------------------------------ owners

    def make_action(
        self,
        kind: ActionKind | int,
        *params: Any,
        nonce: int | None = None,
        deadline: int | None = None,
    ) -> VaultAction:
        nonce = self.nonce() if nonce is None else nonce
        deadline = self.node.now + 3600 if deadline is None else deadline
        if isinstance(kind, ActionKind):
            return action(kind, *params, nonce=nonce, deadline=deadline)
        return VaultAction(kind, b"", nonce, deadline)  # type: ignore[arg-type]

    def sign(self, act: VaultAction, signers: Sequence[Signer] | None = None) -> list[bytes]:
        return sign_action(
            act, list(signers or self.owners[:2]), chain_id=self.node.chain_id, vault=self.vault
        )

    def execute_data(self, act: VaultAction, sigs: Sequence[bytes]) -> bytes:
        return calldata(
            "execute((uint8,bytes,uint256,uint256),bytes[])", act.as_tuple(), list(sigs)
        )

    def admin(self, kind: ActionKind, *params: Any, sender: str | None = None) -> Receipt:
        """An action signed by the first two owners (the threshold), sent by the treasury."""
        act = self.make_action(kind, *params)
        return self.send(
            sender or self.treasury, self.vault, self.execute_data(act, self.sign(act))
        )

    def nonce(self) -> int:
        return int(decode(["uint256"], self.call(self.vault, calldata("nonce()")))[0])

    # ------------------------------------------------------------------ reading

    def probe_accounts(self) -> list[str]:
        """Everyone the vault could have approved: each one's role and allowance are read."""
        roles = ("router", "executor", "h_approve", "h_push", "h_loose", "probe")
        fixed = [self.addresses[r] for r in roles]
        people = [
            self.deployer,
            self.agent,
            self.guardian,
            self.attacker,
            self.treasury,
            self.tax_sink,
        ]
        return [
            *fixed,
            *people,
            *(o.address for o in self.owners),
            *self.pairs.values(),
            self.vault,
        ]

    def role_accounts(self) -> list[str]:
        """Whose roles are read: whatever may be a target, and who may be an agent."""
        roles = ("router", "executor", "h_approve", "h_push", "h_loose")
        people = [self.agent, self.attacker, self.guardian, self.vault]
        return [
            *(self.addresses[r] for r in roles),
            *self.pairs.values(),
            *people,
            *self.tokens.values(),
        ]

    def holders(self) -> list[str]:
        """Whose balances are read: the vault, the executor, the hostile targets (their stock),
        the attacker, the tax sink, the treasury and the pairs."""
        roles = ("executor", "h_approve", "h_push")
        people = [self.attacker, self.tax_sink, self.treasury]
        return [self.vault, *(self.addresses[r] for r in roles), *people, *self.pairs.values()]

    def view(self, at: int | None = None) -> View:
        at = self.node.now if at is None else at
        accounts, holders, pairs = self.probe_accounts(), self.holders(), list(self.pairs.values())
        roles = self.role_accounts()
        tokens = [self.tokens[s] for s in SYMBOLS]
        query = (self.vault, tokens, accounts, roles, holders, pairs, at)
        data = calldata(
            "inspect((address,address[],address[],address[],address[],address[],uint256))", query
        )
        vw, tw, aw, bal, alw, res = word_arrays(self.call(self.addresses["probe"], data))
        token_views = {}
        for i, sym in enumerate(SYMBOLS):
            w = tw[11 * i : 11 * i + 11]
            token_views[sym] = TokenView(
                bool(w[0]), w[1], w[2], w[3], w[4], w[5], _address(w[6]), w[7], w[8],
                _signed(w[9]), w[10],
            )  # fmt: skip
        acc = {a: AccountView(aw[2 * j], bool(aw[2 * j + 1])) for j, a in enumerate(roles)}
        n, h = len(accounts), len(holders)
        balances = {
            (s, a): bal[i * h + j] for i, s in enumerate(SYMBOLS) for j, a in enumerate(holders)
        }
        allowances = {
            (s, a): alw[i * n + j] for i, s in enumerate(SYMBOLS) for j, a in enumerate(accounts)
        }
        reserves = {
            p: (res[3 * k], res[3 * k + 1], _address(res[3 * k + 2])) for k, p in enumerate(pairs)
        }
        return View(
            at=at,
            paused=bool(vw[0]),
            threshold=vw[1],
            nonce=vw[2],
            guardian=_address(vw[3]),
            slippage_bps=vw[4],
            owners_hash=vw[5],
            upgrade_delay=vw[6],
            pending=(_address(vw[7]), vw[8], vw[9]),
            implementation=_address(vw[10]),
            eth=vw[11],
            tokens=token_views,
            accounts=acc,
            balances=balances,
            allowances=allowances,
            reserves=reserves,
        )

    def evil_quirks(self) -> tuple[str, int, str, bool]:
        evil = self.tokens["EVIL"]
        out = []
        for sig, typ in (
            ("victim()", "address"),
            ("taxBps()", "uint256"),
            ("taxSink()", "address"),
            ("returnFalse()", "bool"),
        ):
            out.append(decode([typ], self.call(evil, calldata(sig)))[0])
        return (to_checksum_address(out[0]), int(out[1]), to_checksum_address(out[2]), bool(out[3]))

    def set_price(self, sym: str, answer: int, updated_at: int | None = None) -> Receipt:
        feed = self.feeds[sym]
        if updated_at is None:
            return self.send(self.deployer, feed, calldata("updateAnswer(int256)", answer))
        return self.send(
            self.deployer, feed, calldata("updateAnswerAt(int256,uint256)", answer, updated_at)
        )

    def mint(self, sym: str, to: str, amount: int) -> Receipt:
        return self.send(
            self.deployer, self.tokens[sym], calldata("mint(address,uint256)", to, amount)
        )


def build(node: DevNode) -> HostileEnv:
    """Deploys and configures everything (about 60 transactions)."""
    a = node.accounts
    owners = sorted((Signer(k) for k in OWNER_KEYS), key=lambda s: int(s.address, 16))
    env = HostileEnv(node, a[0], a[1], a[2], a[3], a[4], a[5], owners)
    node.advance(10 * DAY)
    for sym, (dec, feed_dec, price, _) in TOKENS.items():
        if sym == "EVIL":
            env.tokens[sym] = env.deploy_helper(
                "HostileToken", ["string", "string", "uint8"], ["Evil", sym, dec]
            )
        else:
            env.tokens[sym] = env.deploy_ours(
                "ZippiTestToken", ["string", "string", "uint8"], [sym, sym, dec]
            )
        env.feeds[sym] = env.deploy_ours(
            "ZippiPriceFeed", ["uint8", "string", "int256"], [feed_dec, f"{sym} / USD", price]
        )
    router = env.addresses["router"] = env.deploy_ours("ZippiRouter")
    for sym, (amount, usdc) in PAIRS.items():
        t, u = env.tokens[sym], env.tokens["USDC"]
        env.send(env.deployer, router, calldata("createPair(address,address)", t, u))
        pair = decode(["address"], env.call(router, calldata("getPair(address,address)", t, u)))[0]
        env.pairs[sym] = to_checksum_address(pair)
        amount_t, amount_u = amount * 10 ** TOKENS[sym][0], usdc * 10**6
        env.mint(sym, env.deployer, amount_t)
        env.mint("USDC", env.deployer, amount_u)
        for addr, amt in ((t, amount_t), (u, amount_u)):
            env.send(env.deployer, addr, calldata("approve(address,uint256)", router, amt))
        env.send(
            env.deployer,
            router,
            calldata(
                "addLiquidity(address,address,uint256,uint256,uint256,address,uint256)",
                t, u, amount_t, amount_u, 0, env.deployer, 2**64,
            ),
        )  # fmt: skip
    env.addresses["executor"] = env.deploy_ours("ZippiRouteExecutor")
    for role in ("h_approve", "h_push", "h_loose"):
        env.addresses[role] = env.deploy_helper("HostileTarget")
    env.addresses["probe"] = env.deploy_helper("VaultProbe")
    env.addresses["v2_impl"] = env.deploy_helper("ZippiVaultV2Mock")
    env.addresses["v1b_impl"] = env.deploy(implementation_initcode())
    env.addresses["wrong_uuid"] = env.deploy_helper("WrongUUIDImplementation")
    impl = env.addresses["implementation"] = env.deploy(implementation_initcode())
    init = initialize_calldata(
        [o.address for o in owners], 2, env.guardian, SLIPPAGE_BPS, UPGRADE_DELAY
    )
    env.addresses["vault"] = env.deploy(proxy_initcode(impl, init))

    env.admin(ActionKind.SET_AGENT, env.agent, True)
    env.admin(ActionKind.SET_TARGET, router, True)
    env.admin(ActionKind.SET_TARGET, env.addresses["h_approve"], True)
    env.admin(ActionKind.SET_EXECUTOR, env.addresses["executor"], True)
    env.admin(ActionKind.SET_EXECUTOR, env.addresses["h_push"], True)
    for sym, (dec, _, _, funds) in TOKENS.items():
        per_trade, daily = CAPS[sym]
        if sym in LISTED:
            env.admin(
                ActionKind.SET_TOKEN, env.tokens[sym], True, per_trade * 10**dec, daily * 10**dec
            )
        env.admin(ActionKind.SET_PRICE_FEED, env.tokens[sym], env.feeds[sym], FEED_MAX_AGE)
        env.mint(sym, env.vault, funds * 10**dec)
        for role in ("h_approve", "h_push"):
            env.mint(sym, env.addresses[role], STOCK * 10**dec)
    env.send(env.deployer, env.vault, b"", value=10 * 10**18)
    # EVIL's quirks aim at the vault; none is on yet
    env.send(
        env.attacker,
        env.tokens["EVIL"],
        calldata("setQuirks(address,uint256,address,bool)", env.vault, 0, env.tax_sink, False),
    )
    return env


class World:
    """A deployment and its snapshot: each sequence or scenario starts from it (hardhat's
    evm_snapshot / evm_revert, a few milliseconds)."""

    def __init__(self, env: HostileEnv) -> None:
        self.env = env
        self.snapshot = env.node.snapshot()
        self.stats: Counter[str] = Counter()
        self.steps: list[int] = []

    def fresh(self) -> HostileEnv:
        self.env.node.revert(self.snapshot)
        self.snapshot = self.env.node.snapshot()  # hardhat drops a snapshot once reverted to
        return self.env
