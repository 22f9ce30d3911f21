"""A ZippiVault deployment (an ERC-1967 proxy in front of the implementation, as
zippifi.chain.vault.deploy_vault makes it) on the in-process EVM (py-evm) or a hardhat node,
driven like a user would: owners sign EIP-712 actions (zippifi.chain.vault), agents and the
guardian send transactions from the chain's unlocked accounts, and time is set exactly before
every transaction.

Every contract is the committed artifact (zippifi.chain.artifacts), deployed unchanged. A
revert raises :class:`VaultRevert` carrying the custom error decoded against all our ABIs, so
tests assert the error's name and arguments.

Time: on py-evm the chain is moved ~10 days past the wall clock once, so eth-tester's next
block time is always the previous block's + 1 unless we ask for more; a hardhat node keeps to the
wall clock (it may be shared, and the engine's deadlines are wall-clock times).
:meth:`VaultEnv.at` makes the next transaction's block time exactly ``t`` on either.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, cast

from eth_typing import ChecksumAddress
from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.types import TxReceipt

from tests.uniswap.chain import Chain
from zippifi.chain import (
    ActionKind,
    VaultAction,
    action,
    deploy_vault,
    sign_action,
    v2_swap_calldata,
)
from zippifi.chain.artifacts import Artifact, DecodedError, load, names
from zippifi.sign import Signer

DAY = 24 * 60 * 60
GAS = 15_000_000
# owners sign only: their keys are ours, they never send a transaction
OWNER_KEYS = [bytes([i]) * 32 for i in (0x11, 0x22, 0x33)]
ETH_USD = 3000 * 10**8  # ETH at $3,000 (8-decimal feed)
USDC_USD = 10**8  # $1 (8-decimal feed)
DAI_USD = 10**18  # $1 (18-decimal feed: the vault must scale feeds of different decimals)
MAX_SLIPPAGE_BPS = 100
FEED_MAX_AGE = 3600
UPGRADE_DELAY = 2 * DAY
WETH_CAP = (10 * 10**18, 25 * 10**18)  # per trade, per rolling 24 h
USDC_CAP = (30_000 * 10**6, 75_000 * 10**6)
DAI_CAP = (30_000 * 10**18, 75_000 * 10**18)


class VaultRevert(Exception):  # noqa: N818 (named after what the chain does)
    """A transaction or call reverted; ``error`` is the decoded custom error when there is one."""

    def __init__(self, error: DecodedError | None, raw: str) -> None:
        super().__init__(str(error) if error else raw)
        self.error = error
        self.raw = raw

    @property
    def name(self) -> str | None:
        return self.error.name if self.error else None

    @property
    def args_(self) -> dict[str, Any]:
        return self.error.args if self.error else {}


def _revert_data(exc: BaseException) -> bytes | str:
    """The revert data of a failed call: eth-tester reports it as the repr of the bytes in the
    message ("execution reverted: b'...'"); an HTTP node as hex in ``exc.data``."""
    data = getattr(exc, "data", None)
    if isinstance(data, str) and data.startswith("0x"):
        return bytes.fromhex(data[2:])
    msg = str(exc.args[0]) if exc.args else str(exc)
    _, sep, tail = msg.partition("execution reverted: ")
    if sep and tail.startswith(("b'", 'b"')):
        value = ast.literal_eval(tail)
        if isinstance(value, bytes):
            return value
    return msg


# the vault first: its errors are what the tests are about
_ARTIFACTS = sorted((load(n) for n in names()), key=lambda a: a.name != "ZippiVault")


def decode_any(data: bytes) -> DecodedError | None:
    for art in _ARTIFACTS:
        decoded = art.decode_error(data)
        if decoded is not None:
            return decoded
    return None


def oracle_bound(
    amount_in: int,
    price_in: int,
    price_out: int,
    dec_in: int,
    dec_out: int,
    feed_dec_in: int,
    feed_dec_out: int,
    slippage_bps: int,
) -> tuple[int, int]:
    """(implied, bound) from the issue's definition, in exact rationals: the vault's answer
    must equal the floor of each."""
    value_usd = Fraction(amount_in * price_in, 10**dec_in * 10**feed_dec_in)
    implied_exact = value_usd * 10**dec_out * 10**feed_dec_out / price_out
    implied = implied_exact.numerator // implied_exact.denominator
    return implied, implied * (10_000 - slippage_bps) // 10_000


def v2_out(amount_in: int, reserve_in: int, reserve_out: int) -> int:
    """The constant-product output with a 0.3% fee on input (Uniswap V2's formula)."""
    with_fee = amount_in * 997
    return with_fee * reserve_out // (reserve_in * 1000 + with_fee)


@dataclass
class Token:
    contract: Contract
    symbol: str
    decimals: int
    feed: Contract | None
    feed_decimals: int

    @property
    def address(self) -> ChecksumAddress:
        return self.contract.address


class VaultEnv:
    """Tokens, feeds, our router and pairs, and a vault configured and funded as in the demo."""

    def __init__(self, chain: Chain) -> None:
        self.chain = chain
        self.w3: Web3 = chain.w3
        # py-evm's tester drives time directly; any other chain is a node with hardhat's dev RPC
        self.tester: Any = getattr(self.w3.provider, "ethereum_tester", None)
        accounts = self.w3.eth.accounts
        self.deployer, self.agent, self.guardian, self.stranger = accounts[:4]
        self.owners = sorted((Signer(k) for k in OWNER_KEYS), key=lambda s: int(s.address, 16))
        self.chain_id = self.w3.eth.chain_id
        if self.tester is not None:
            pending = int(self.w3.eth.get_block("pending")["timestamp"])
            self.tester.time_travel(pending + 10 * DAY)

        self.weth = self._token("Wrapped Ether", "WETH", 18, ETH_USD, 8)
        self.usdc = self._token("USD Coin", "USDC", 6, USDC_USD, 8)
        self.dai = self._token("Dai", "DAI", 18, DAI_USD, 18)
        self.junk = self._token("Not Listed", "JUNK", 18, None, 0)
        self.router = self.deploy("ZippiRouter")
        self.pairs: dict[tuple[str, str], Contract] = {}
        self.add_pair(self.weth, self.usdc, 100_000 * 10**18, 300_000_000 * 10**6)
        self.add_pair(self.dai, self.usdc, 20_000_000 * 10**18, 20_000_000 * 10**6)

        owner_addresses = [s.address for s in self.owners]
        deployment = deploy_vault(
            self.w3,
            sender=self.deployer,
            owners=owner_addresses,
            threshold=2,
            guardian=self.guardian,
            max_slippage_bps=MAX_SLIPPAGE_BPS,
            upgrade_delay=UPGRADE_DELAY,
        )
        self.implementation = deployment.implementation
        self.vault = self.w3.eth.contract(address=deployment.address, abi=load("ZippiVault").abi)
        self.admin(ActionKind.SET_AGENT, self.agent, True)
        self.admin(ActionKind.SET_TARGET, self.router.address, True)
        for token, (per_trade, daily) in (
            (self.weth, WETH_CAP),
            (self.usdc, USDC_CAP),
            (self.dai, DAI_CAP),
        ):
            self.admin(ActionKind.SET_TOKEN, token.address, True, per_trade, daily)
            assert token.feed is not None
            self.admin(ActionKind.SET_PRICE_FEED, token.address, token.feed.address, FEED_MAX_AGE)
        self.mint(self.weth, self.vault.address, 100 * 10**18)
        self.mint(self.usdc, self.vault.address, 500_000 * 10**6)
        self.mint(self.dai, self.vault.address, 500_000 * 10**18)

    # ------------------------------------------------------------------ plumbing

    def artifact(self, name: str) -> Artifact:
        return load(name)

    def deploy(self, name: str, *args: Any) -> Contract:
        art = load(name)
        factory = self.w3.eth.contract(abi=art.abi, bytecode=art.bytecode)
        tx = factory.constructor(*args).transact({"from": self.deployer, "gas": GAS})
        receipt = self.w3.eth.wait_for_transaction_receipt(tx)
        assert receipt["status"] == 1, f"deploying {name} failed"
        return self.w3.eth.contract(address=receipt["contractAddress"], abi=art.abi)

    def send(self, fn: ContractFunction, sender: str | None = None, value: int = 0) -> TxReceipt:
        """A transaction from an unlocked account; VaultRevert (decoded) if it reverts."""
        tx: Any = {"from": sender or self.deployer, "gas": GAS, "value": value}
        try:
            # simulated first in the pending block (the one the transaction will land in), so
            # a revert is reported with its data, as eth-tester mines a failing transaction
            # sent with an explicit gas limit and keeps only status 0
            fn.call(tx, block_identifier="pending")
            tx_hash = fn.transact(tx)
        except Exception as exc:
            raw = _revert_data(exc)
            if isinstance(raw, bytes):
                raise VaultRevert(decode_any(raw), "0x" + raw.hex()) from exc
            raise VaultRevert(None, raw) from exc
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash)
        if receipt["status"] != 1:
            raise VaultRevert(None, f"status 0, gas used {receipt['gasUsed']}")
        return receipt

    def call(self, fn: ContractFunction, sender: str | None = None) -> Any:
        try:
            return fn.call({"from": sender or self.deployer, "gas": GAS})
        except Exception as exc:
            raw = _revert_data(exc)
            if isinstance(raw, bytes):
                raise VaultRevert(decode_any(raw), "0x" + raw.hex()) from exc
            raise VaultRevert(None, raw) from exc

    # time

    def next_time(self) -> int:
        """The block time the next transaction gets unless :meth:`at` says otherwise."""
        return int(self.w3.eth.get_block("pending")["timestamp"])

    def at(self, timestamp: int) -> None:
        """The next transaction's block time becomes exactly ``timestamp`` (>= next_time())."""
        if self.tester is not None:
            self.tester.time_travel(timestamp)
        else:
            answer = self.w3.provider.make_request(
                cast(Any, "evm_setNextBlockTimestamp"), [timestamp]
            )
            if "error" in answer:
                raise RuntimeError(f"evm_setNextBlockTimestamp({timestamp}): {answer['error']}")
        assert self.next_time() == timestamp

    def jump(self, timestamp: int) -> None:
        """Time moves on to ``timestamp`` for the next transaction, and every feed re-posts its
        answer just before it (three blocks, one per feed), so no price is stale there."""
        feeds = (self.weth, self.usdc, self.dai)
        start = timestamp - len(feeds)
        if start < self.next_time():
            raise AssertionError(f"cannot jump to {timestamp}: the next block is later")
        self.at(start)
        for token in feeds:
            self.set_price(token, self.price(token))
        assert self.next_time() == timestamp

    def block_time(self, receipt: TxReceipt) -> int:
        return int(self.w3.eth.get_block(receipt["blockNumber"])["timestamp"])

    # tokens, pairs, feeds

    def _token(
        self, name: str, symbol: str, decimals: int, price: int | None, feed_decimals: int
    ) -> Token:
        contract = self.deploy("ZippiTestToken", name, symbol, decimals)
        feed = None
        if price is not None:
            feed = self.deploy("ZippiPriceFeed", feed_decimals, f"{symbol} / USD", price)
        return Token(contract, symbol, decimals, feed, feed_decimals)

    def mint(self, token: Token, to: str, amount: int) -> None:
        self.send(token.contract.functions.mint(to, amount))

    def balance(self, token: Token, who: str | None = None) -> int:
        return int(token.contract.functions.balanceOf(who or self.vault.address).call())

    def add_pair(self, a: Token, b: Token, amount_a: int, amount_b: int) -> Contract:
        self.send(self.router.functions.createPair(a.address, b.address))
        pair = self.w3.eth.contract(
            address=self.router.functions.getPair(a.address, b.address).call(),
            abi=load("ZippiPair").abi,
        )
        self.mint(a, self.deployer, amount_a)
        self.mint(b, self.deployer, amount_b)
        for token, amount in ((a, amount_a), (b, amount_b)):
            self.send(token.contract.functions.approve(self.router.address, amount))
        deadline = self.next_time() + DAY
        self.send(
            self.router.functions.addLiquidity(
                a.address, b.address, amount_a, amount_b, 0, self.deployer, deadline
            )
        )
        self.pairs[(a.symbol, b.symbol)] = pair
        self.pairs[(b.symbol, a.symbol)] = pair
        return pair

    def reserves(self, token_in: Token, token_out: Token) -> tuple[int, int]:
        pair = self.pairs[(token_in.symbol, token_out.symbol)]
        r0, r1 = pair.functions.getReserves().call()
        if int(token_in.address, 16) < int(token_out.address, 16):  # the pair's token0
            return int(r0), int(r1)
        return int(r1), int(r0)

    def set_price(self, token: Token, answer: int, updated_at: int | None = None) -> None:
        assert token.feed is not None
        if updated_at is None:
            self.send(token.feed.functions.updateAnswer(answer))
        else:
            self.send(token.feed.functions.updateAnswerAt(answer, updated_at))

    def price(self, token: Token) -> int:
        assert token.feed is not None
        return int(token.feed.functions.latestRoundData().call()[1])

    # the vault

    def bound(self, token_in: Token, token_out: Token, amount_in: int) -> tuple[int, int]:
        """The oracle bound computed here, independently of the vault."""
        slippage = int(self.vault.functions.maxSlippageBps().call())
        return oracle_bound(
            amount_in,
            self.price(token_in),
            self.price(token_out),
            token_in.decimals,
            token_out.decimals,
            token_in.feed_decimals,
            token_out.feed_decimals,
            slippage,
        )

    def nonce(self) -> int:
        return int(self.vault.functions.nonce().call())

    def make_action(
        self, kind: ActionKind, *params: Any, nonce: int | None = None, deadline: int | None = None
    ) -> VaultAction:
        return action(
            kind,
            *params,
            nonce=self.nonce() if nonce is None else nonce,
            deadline=self.next_time() + 3600 if deadline is None else deadline,
        )

    def signatures(self, act: VaultAction, signers: Sequence[Signer] | None = None) -> list[bytes]:
        return sign_action(
            act, list(signers or self.owners[:2]), chain_id=self.chain_id, vault=self.vault.address
        )

    def execute(
        self, act: VaultAction, signatures: Sequence[bytes], sender: str | None = None
    ) -> TxReceipt:
        return self.send(
            self.vault.functions.execute(act.as_tuple(), list(signatures)), sender or self.stranger
        )

    def admin(self, kind: ActionKind, *params: Any) -> TxReceipt:
        """An action signed by two owners (the threshold) and submitted by a stranger."""
        act = self.make_action(kind, *params)
        return self.execute(act, self.signatures(act))

    def swap_data(
        self, token_in: Token, token_out: Token, amount_in: int, to: str | None = None
    ) -> bytes:
        """Router calldata: the vault's minOut is the one that counts, so the router's is 0."""
        return v2_swap_calldata(
            amount_in,
            0,
            [token_in.address, token_out.address],
            to or self.vault.address,
            2**64,
        )

    def swap(
        self,
        token_in: Token,
        token_out: Token,
        amount_in: int,
        *,
        min_out: int | None = None,
        deadline: int | None = None,
        target: str | None = None,
        data: bytes | None = None,
        sender: str | None = None,
    ) -> TxReceipt:
        """The agent's swapExactIn through our router; minOut defaults to the oracle bound."""
        if min_out is None:
            min_out = max(1, self.bound(token_in, token_out, amount_in)[1])
        return self.send(
            self.vault.functions.swapExactIn(
                target or self.router.address,
                token_in.address,
                token_out.address,
                amount_in,
                min_out,
                self.next_time() + 600 if deadline is None else deadline,
                self.swap_data(token_in, token_out, amount_in) if data is None else data,
            ),
            sender or self.agent,
        )


def expect_revert(name: str, fn: Any, *a: Any, **kw: Any) -> dict[str, Any]:
    """Calls ``fn(*a, **kw)`` and returns the decoded arguments of the custom error it must
    revert with, named ``name``; fails the test if it succeeds or reverts otherwise."""
    try:
        fn(*a, **kw)
    except VaultRevert as exc:
        if exc.name != name:
            raise AssertionError(f"reverted with {exc}, expected {name}") from exc
        return exc.args_
    raise AssertionError(f"did not revert; expected {name}")
