"""Every custom error in the ABIs of ZippiVault and ZippiRouteExecutor, triggered at least once.

The test list is the ABIs' own (``test_error_is_triggered`` is parametrized over them): an error
added to either contract fails here until a scenario below triggers it, or it is listed in
UNREACHABLE with the reason. Each scenario runs on a fresh copy of the hostile deployment
(tests/contracts/hostile_env.py, on hardhat) and must see the error in the revert data it gets,
decoded with Artifact.decode_error: as the outer error, or as the target's own error inside
SwapCallFailed.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.contracts.devnode import calldata
from tests.contracts.hostile_env import (
    TOKENS,
    UPGRADE_DELAY,
    ChainError,
    HostileEnv,
    World,
    oracle_bound,
)
from zippifi.chain import ActionKind, VaultAction, v2_swap_calldata
from zippifi.chain.artifacts import load
from zippifi.chain.vault import initialize_calldata, proxy_initcode
from zippifi.sign import Signer

ZERO = "0x0000000000000000000000000000000000000000"
FAR = 2**64
SWAP = "swapExactIn(address,address,address,uint256,uint256,uint256,bytes)"
BATCH = "swapBatch((address,address,address,uint256,uint256,bytes)[],uint256)"
RUN = "run((address,bytes,bool)[],bytes)"

# errors no transaction can raise, and why (each must still be in the ABI it is listed for)
UNREACHABLE: dict[tuple[str, str], str] = {
    ("ZippiVault", "AddressEmptyCode"): (
        "OpenZeppelin's Address.verifyCallResultFromTarget raises it when a call that succeeded "
        "went to an address without code. ERC1967Utils.upgradeToAndCall is its only user here "
        "and delegate-calls only an implementation that _setImplementation just required to "
        "have code (ERC1967InvalidImplementation otherwise), which the vault had already asked "
        "for proxiableUUID(); code cannot vanish within a transaction (EIP-6780)."
    ),
    ("ZippiVault", "InvalidShortString"): (
        "EIP712's ShortStrings: the name 'ZippiVault' and version '1' are constants of at most "
        "31 bytes, stored as short strings in the constructor; it needs a longer or corrupted one."
    ),
    ("ZippiVault", "StringTooLong"): (
        "EIP712's ShortStrings, for a name or version over 31 bytes: ours are constants, "
        "'ZippiVault' and '1'."
    ),
    ("ZippiVault", "NotInitializing"): (
        "Raised only by OpenZeppelin's onlyInitializing modifier, which no ZippiVault function "
        "uses (UUPSUpgradeable's __UUPSUpgradeable_init is never called): an inherited "
        "declaration, no code path."
    ),
}


# ------------------------------------------------------------------------------- helpers


def revert_of(fn: Callable[[], object]) -> ChainError:
    try:
        fn()
    except ChainError as exc:
        return exc
    raise AssertionError("the transaction succeeded")


def swap_data(
    env: HostileEnv,
    sin: str,
    sout: str,
    amount: int,
    *,
    min_out: int | None = None,
    target: str | None = None,
    data: bytes | None = None,
    deadline: int | None = None,
) -> bytes:
    tin, tout = env.tokens.get(sin, sin), env.tokens.get(sout, sout)
    if min_out is None:
        min_out = max(1, oracle_bound(env.view(), sin, sout, amount))
    if data is None:
        data = v2_swap_calldata(amount, 0, [tin, tout], env.vault, FAR)
    return calldata(
        SWAP,
        target or env.addresses["router"],
        tin,
        tout,
        amount,
        min_out,
        env.node.now + 600 if deadline is None else deadline,
        data,
    )


def agent_swap(env: HostileEnv, sin: str, sout: str, amount: int, **kw: object) -> ChainError:
    data = swap_data(env, sin, sout, amount, **kw)  # type: ignore[arg-type]
    return revert_of(lambda: env.send(env.agent, env.vault, data))


def unit(sym: str) -> int:
    return 10 ** TOKENS[sym][0]


def owners_action(env: HostileEnv, kind: ActionKind | int, *params: object) -> ChainError:
    act = env.make_action(kind, *params)
    return revert_of(
        lambda: env.send(env.treasury, env.vault, env.execute_data(act, env.sign(act)))
    )


def script(env: HostileEnv, ops: list[tuple[str, bytes, bool]], ret: bytes = b"") -> bytes:
    return calldata(RUN, ops, ret)


def pay(env: HostileEnv, sym: str, to: str, amount: int) -> tuple[str, bytes, bool]:
    return (env.tokens[sym], calldata("transfer(address,uint256)", to, amount), False)


def upgrade_after_delay(env: HostileEnv, impl: str, data: bytes) -> ChainError:
    env.admin(ActionKind.SCHEDULE_UPGRADE, impl, data)
    env.node.advance(UPGRADE_DELAY)
    return owners_action(env, ActionKind.EXECUTE_UPGRADE, impl, data)


def route(paths: list[tuple[int, list[tuple[int, int, str, str]]]]) -> bytes:
    """The executor's packed route: (amountIn, [(flags, feeBps, pool, tokenIn)]) per path."""
    out = bytearray([len(paths)])
    for amount, legs in paths:
        out.append(len(legs))
        out += amount.to_bytes(16, "big")
        for flags, fee, pool, token in legs:
            out += bytes([flags]) + fee.to_bytes(2, "big")
            out += bytes.fromhex(pool[2:]) + bytes.fromhex(token[2:])
    return bytes(out)


def execute_route(env: HostileEnv, raw: bytes) -> ChainError:
    data = calldata("execute(bytes)", raw)
    return revert_of(lambda: env.send(env.attacker, env.addresses["executor"], data))


def hostile_pool(env: HostileEnv) -> str:
    return env.deploy_helper("HostilePool")


# ------------------------------------------------------------------------------- the vault


def agent_checks(env: HostileEnv, name: str) -> ChainError:
    """The caller, pause, deadline and per-swap rules, each alone."""
    v = env.view()
    weth, usdc = "WETH", "USDC"
    if name == "NotAgent":
        data = swap_data(env, weth, usdc, unit(weth))
        return revert_of(lambda: env.send(env.attacker, env.vault, data))
    if name == "VaultPaused":
        env.send(env.guardian, env.vault, calldata("pause()"))
        return agent_swap(env, weth, usdc, unit(weth), min_out=1)
    if name == "DeadlineExpired":
        return agent_swap(env, weth, usdc, unit(weth), deadline=env.node.now - 1)
    if name == "EmptyBatch":
        data = calldata(BATCH, [], FAR)
        return revert_of(lambda: env.send(env.agent, env.vault, data))
    if name == "TargetNotAllowed":
        return agent_swap(env, weth, usdc, unit(weth), target=env.addresses["h_loose"])
    if name == "SameToken":
        return agent_swap(env, weth, weth, unit(weth), min_out=1)
    if name == "TokenNotAllowed":
        return agent_swap(env, "JUNK", usdc, unit("JUNK"), min_out=1)
    if name == "ZeroAmount":
        return agent_swap(env, weth, usdc, 0, min_out=1)
    if name == "TradeCapExceeded":
        return agent_swap(env, weth, usdc, v.tokens[weth].max_trade + 1, min_out=1)
    if name == "DailyCapExceeded":
        cap = v.tokens["DAI"].max_trade  # DAI's daily cap is 1.5 trades
        env.send(env.agent, env.vault, swap_data(env, "DAI", usdc, cap))
        return agent_swap(env, "DAI", usdc, cap)
    if name == "NoPriceFeed":
        env.admin(ActionKind.SET_PRICE_FEED, env.tokens[weth], ZERO, 0)
        return agent_swap(env, weth, usdc, unit(weth), min_out=1)
    if name == "InvalidPrice":
        env.set_price(weth, 0)
        return agent_swap(env, weth, usdc, unit(weth), min_out=1)
    if name == "StalePrice":
        env.node.advance(3601)
        return agent_swap(env, weth, usdc, unit(weth), min_out=1)
    if name == "MinOutBelowOracleBound":
        bound = oracle_bound(v, weth, usdc, unit(weth))
        return agent_swap(env, weth, usdc, unit(weth), min_out=bound - 1)
    if name == "SwapCallFailed":  # the router pulls one more than approved
        data = v2_swap_calldata(
            unit(weth) + 1, 0, [env.tokens[weth], env.tokens[usdc]], env.vault, FAR
        )
        return agent_swap(env, weth, usdc, unit(weth), data=data)
    if name == "InsufficientOutput":  # the router pays the attacker
        data = v2_swap_calldata(
            unit(weth), 0, [env.tokens[weth], env.tokens[usdc]], env.attacker, FAR
        )
        return agent_swap(env, weth, usdc, unit(weth), data=data)
    raise KeyError(name)


def over_spent(env: HostileEnv) -> ChainError:
    """A listed token that takes 10% more from the vault than the router moves: the vault's
    balance falls by more than amountIn."""
    env.send(
        env.attacker,
        env.tokens["EVIL"],
        calldata("setQuirks(address,uint256,address,bool)", env.vault, 1000, env.tax_sink, False),
    )
    return agent_swap(env, "EVIL", "USDC", 1000 * unit("EVIL"))


def window_full(env: HostileEnv) -> ChainError:
    """64 spends in 64 seconds fill USDC's window; a 65th second is refused."""
    for _ in range(64):
        env.send(env.agent, env.vault, swap_data(env, "USDC", "WETH", 10 * unit("USDC")))
    return agent_swap(env, "USDC", "WETH", 10 * unit("USDC"))


def paused_mid_batch(env: HostileEnv) -> ChainError:
    """The per-swap pause check: owners made a hostile target the guardian, and the batch's
    first swap (through it) pauses the vault; the second is refused."""
    h = env.addresses["h_approve"]
    env.admin(ActionKind.SET_GUARDIAN, h)
    weth, usdc = env.tokens["WETH"], env.tokens["USDC"]
    bound = oracle_bound(env.view(), "WETH", "USDC", unit("WETH"))
    first = script(
        env,
        [
            (
                weth,
                calldata("transferFrom(address,address,uint256)", env.vault, h, unit("WETH")),
                False,
            ),
            pay(env, "USDC", env.vault, bound),
            (env.vault, calldata("pause()"), False),
        ],
    )
    second = v2_swap_calldata(unit("WETH"), 0, [weth, usdc], env.vault, FAR)
    assert not env.view().paused  # so the batch passes the caller's checks
    swaps = [
        (h, weth, usdc, unit("WETH"), bound, first),
        (env.addresses["router"], weth, usdc, unit("WETH"), bound, second),
    ]
    return revert_of(lambda: env.send(env.agent, env.vault, calldata(BATCH, swaps, FAR)))


def reentered(env: HostileEnv) -> ChainError:
    """A listed token's hook re-enters the vault while the owners withdraw it."""
    hook = calldata(
        SWAP, env.addresses["router"], env.tokens["WETH"], env.tokens["USDC"], 1, 1, FAR, b""
    )
    env.send(env.attacker, env.tokens["EVIL"], calldata("setHook(address,bytes)", env.vault, hook))
    return owners_action(env, ActionKind.WITHDRAW, env.tokens["EVIL"], env.treasury, 1)


def returns_false(env: HostileEnv) -> ChainError:
    env.send(
        env.attacker,
        env.tokens["EVIL"],
        calldata("setQuirks(address,uint256,address,bool)", env.vault, 0, env.tax_sink, True),
    )
    return owners_action(env, ActionKind.WITHDRAW, env.tokens["EVIL"], env.treasury, 1)


def owners_checks(env: HostileEnv, name: str) -> ChainError:
    """execute's own checks, and each action's."""
    owners = env.owners
    if name == "ActionExpired":
        act = env.make_action(ActionKind.UNPAUSE, deadline=env.node.now - 1)
        return revert_of(
            lambda: env.send(env.treasury, env.vault, env.execute_data(act, env.sign(act)))
        )
    if name == "InvalidNonce":
        act = env.make_action(ActionKind.SET_MAX_SLIPPAGE, 30)
        data = env.execute_data(act, env.sign(act))
        env.send(env.treasury, env.vault, data)
        return revert_of(lambda: env.send(env.attacker, env.vault, data))  # a replay
    if name in ("InvalidSignature", "NotOwner", "SignersNotAscending", "BelowThreshold"):
        act = env.make_action(ActionKind.SET_AGENT, env.attacker, True)
        sigs = {
            "InvalidSignature": lambda: [b"\x01" * 10],
            "NotOwner": lambda: env.sign(act, [Signer(bytes([0x44]) * 32), owners[0]]),
            "SignersNotAscending": lambda: env.sign(act, owners[:2])[::-1],
            "BelowThreshold": lambda: env.sign(act, owners[:1]),
        }[name]()
        return revert_of(lambda: env.send(env.agent, env.vault, env.execute_data(act, sigs)))
    if name == "UnknownAction":
        act = VaultAction(17, b"", env.nonce(), env.node.now + 600)  # type: ignore[arg-type]
        return revert_of(
            lambda: env.send(env.treasury, env.vault, env.execute_data(act, env.sign(act)))
        )
    simple: dict[str, tuple[ActionKind, tuple[object, ...]]] = {
        "InvalidThreshold": (ActionKind.SET_THRESHOLD, (4,)),
        "InvalidOwner": (ActionKind.ADD_OWNER, (ZERO,)),
        "OwnerExists": (ActionKind.ADD_OWNER, (owners[0].address,)),
        "OwnerMissing": (ActionKind.REMOVE_OWNER, (env.attacker,)),
        "InvalidTarget": (ActionKind.SET_TARGET, (env.tokens["WETH"], True)),
        "InvalidToken": (ActionKind.SET_TOKEN, (env.addresses["router"], True, 1, 1)),
        "InvalidLimits": (ActionKind.SET_TOKEN, (env.tokens["WETH"], True, 2, 1)),
        "InvalidFeed": (ActionKind.SET_PRICE_FEED, (env.tokens["WETH"], env.feeds["WETH"], 0)),
        "SlippageTooHigh": (ActionKind.SET_MAX_SLIPPAGE, (5001,)),
        "InvalidRecipient": (ActionKind.WITHDRAW, (env.tokens["WETH"], ZERO, 1)),
        "EthTransferFailed": (ActionKind.WITHDRAW, (ZERO, env.addresses["h_loose"], 1)),
        "NotPaused": (ActionKind.UNPAUSE, ()),
        "InvalidUpgradeDelay": (ActionKind.SET_UPGRADE_DELAY, (59,)),
        "InvalidImplementation": (ActionKind.SCHEDULE_UPGRADE, (env.attacker, b"")),
        "NoUpgradeScheduled": (ActionKind.CANCEL_UPGRADE, ()),
    }
    kind, params = simple[name]
    return owners_action(env, kind, *params)


def too_many_owners(env: HostileEnv) -> ChainError:
    """Thirteen more owners make sixteen, the most; a seventeenth is refused."""
    for i in range(13):
        env.admin(ActionKind.ADD_OWNER, "0x" + f"{0x1000 + i:040x}")
    return owners_action(env, ActionKind.ADD_OWNER, "0x" + f"{0x2000:040x}")


def not_guardian(env: HostileEnv) -> ChainError:
    return revert_of(lambda: env.send(env.agent, env.vault, calldata("pause()")))


def upgrades(env: HostileEnv, name: str) -> ChainError:
    v2, v1b = env.addresses["v2_impl"], env.addresses["v1b_impl"]
    init_v2 = calldata("initializeV2(uint256)", 7)
    impl = env.view().implementation
    if name == "UpgradeOnlyByOwnersAction":
        data = calldata("upgradeToAndCall(address,bytes)", v2, b"")
        return revert_of(lambda: env.send(env.agent, env.vault, data))
    if name == "UUPSUnauthorizedCallContext":  # the implementation itself is not a proxy
        data = calldata("upgradeToAndCall(address,bytes)", v2, b"")
        return revert_of(lambda: env.send(env.agent, impl, data))
    if name == "InvalidInitialization":
        init = initialize_calldata([env.agent], 1, env.agent, 0, UPGRADE_DELAY)
        return revert_of(lambda: env.send(env.agent, env.vault, init))
    if name == "UpgradeTooEarly":
        env.admin(ActionKind.SCHEDULE_UPGRADE, v2, init_v2)
        env.node.advance(UPGRADE_DELAY - 3)
        return owners_action(env, ActionKind.EXECUTE_UPGRADE, v2, init_v2)
    if name == "UpgradeMismatch":
        env.admin(ActionKind.SCHEDULE_UPGRADE, v1b, b"")
        env.node.advance(UPGRADE_DELAY)
        return owners_action(env, ActionKind.EXECUTE_UPGRADE, v2, init_v2)
    if name == "UUPSUnsupportedProxiableUUID":
        return upgrade_after_delay(env, env.addresses["wrong_uuid"], b"")
    if name == "FailedCall":  # the new implementation has no such function (and no fallback)
        return upgrade_after_delay(env, v2, bytes.fromhex("deadbeef"))
    raise KeyError(name)


def bad_proxies(env: HostileEnv, name: str) -> ChainError:
    """The proxy's constructor (OpenZeppelin's ERC1967Utils, the same code the vault inherits;
    the vault's own copy of these paths is unreachable: see the module's report)."""
    impl = env.view().implementation
    if name == "ERC1967InvalidImplementation":
        code = proxy_initcode(env.attacker, b"")
        return revert_of(lambda: env.deploy(code))
    code = proxy_initcode(impl, b"")  # ERC1967NonPayable: value sent, nothing to initialize
    return revert_of(lambda: env.deploy(code, value=1))


# ------------------------------------------------------------------------------- the executor


def executor_paths(env: HostileEnv, name: str) -> ChainError:
    executor = env.addresses["executor"]
    usdc, dai = env.tokens["USDC"], env.tokens["DAI"]
    pair = env.pairs["DAI"]
    if name == "MalformedRoute":
        return execute_route(env, b"")
    if name == "MixedInputTokens":
        return execute_route(env, route([(0, [(2, 30, pair, usdc)]), (0, [(2, 30, pair, dai)])]))
    if name == "UnknownLegKind":
        return execute_route(env, route([(0, [(3, 30, pair, usdc)])]))
    if name == "InvalidFee":
        return execute_route(env, route([(0, [(2, 10_000, pair, usdc)])]))
    if name == "UnexpectedCallback":
        data = calldata("uniswapV3SwapCallback(int256,int256,bytes)", 1, 0, b"")
        return revert_of(lambda: env.send(env.attacker, executor, data))
    pool = hostile_pool(env)
    if name == "Reentered":  # the pool calls the executor back
        env.send(env.attacker, pool, calldata("setReserves(uint256,uint256)", 1, 1))
        hook = calldata("execute(bytes)", b"")
        env.send(env.attacker, pool, calldata("setHook(address,bytes)", executor, hook))
        return execute_route(env, route([(0, [(2, 30, pool, usdc)])]))
    env.mint("USDC", executor, 10)  # what a route spends (tokens sent by mistake are anyone's)
    if name in ("OverPaid", "PartialFill"):
        owed, reported = (11, 10) if name == "OverPaid" else (10, 5)
        env.send(env.attacker, pool, calldata("setV3(int256,int256)", owed, reported))
        return execute_route(env, route([(10, [(1 | 0x80, 0, pool, usdc)])]))
    if name == "AmountTooLarge":
        # a lying V2 pair (no input reserve, 2^256-1 out) makes the next, V3, leg's input huge
        env.send(env.attacker, pool, calldata("setReserves(uint256,uint256)", 0, 2**256 - 1))
        v3 = hostile_pool(env)
        legs = [(0 | 0x80, 9_999, pool, usdc), (1 | 0x80, 0, v3, dai)]
        return execute_route(env, route([(1, legs)]))
    raise KeyError(name)


def executor_false(env: HostileEnv) -> ChainError:
    """A token that returns false on the executor's transfer."""
    env.send(
        env.attacker,
        env.tokens["EVIL"],
        calldata(
            "setQuirks(address,uint256,address,bool)",
            env.addresses["executor"], 0, env.tax_sink, True,
        ),
    )  # fmt: skip
    return execute_route(env, route([(0, [(2, 30, env.pairs["EVIL"], env.tokens["EVIL"])])]))


# ------------------------------------------------------------------------------- the table

Scenario = Callable[[HostileEnv], ChainError]


def _named(fn: Callable[[HostileEnv, str], ChainError], *names: str) -> dict[str, Scenario]:
    return {n: (lambda env, n=n: fn(env, n)) for n in names}  # type: ignore[misc]


VAULT: dict[str, Scenario] = {
    **_named(
        agent_checks,
        "NotAgent", "VaultPaused", "DeadlineExpired", "EmptyBatch", "TargetNotAllowed",
        "SameToken", "TokenNotAllowed", "ZeroAmount", "TradeCapExceeded", "DailyCapExceeded",
        "NoPriceFeed", "InvalidPrice", "StalePrice", "MinOutBelowOracleBound", "SwapCallFailed",
        "InsufficientOutput",
    ),
    **_named(
        owners_checks,
        "ActionExpired", "InvalidNonce", "InvalidSignature", "NotOwner", "SignersNotAscending",
        "BelowThreshold", "UnknownAction", "InvalidThreshold", "InvalidOwner", "OwnerExists",
        "OwnerMissing", "InvalidTarget", "InvalidToken", "InvalidLimits", "InvalidFeed",
        "SlippageTooHigh", "InvalidRecipient", "EthTransferFailed", "NotPaused",
        "InvalidUpgradeDelay", "InvalidImplementation", "NoUpgradeScheduled",
    ),
    **_named(
        upgrades,
        "UpgradeOnlyByOwnersAction", "UUPSUnauthorizedCallContext", "InvalidInitialization",
        "UpgradeTooEarly", "UpgradeMismatch", "UUPSUnsupportedProxiableUUID", "FailedCall",
    ),
    **_named(bad_proxies, "ERC1967InvalidImplementation", "ERC1967NonPayable"),
    "OverSpent": over_spent,
    "WindowFull": window_full,
    "TooManyOwners": too_many_owners,
    "NotGuardian": not_guardian,
    "ReentrancyGuardReentrantCall": reentered,
    "SafeERC20FailedOperation": returns_false,
}  # fmt: skip
EXECUTOR: dict[str, Scenario] = {
    **_named(
        executor_paths,
        "MalformedRoute", "MixedInputTokens", "UnknownLegKind", "InvalidFee",
        "UnexpectedCallback", "Reentered", "OverPaid", "PartialFill", "AmountTooLarge",
    ),
    "SafeERC20FailedOperation": executor_false,
}  # fmt: skip
SCENARIOS = {"ZippiVault": VAULT, "ZippiRouteExecutor": EXECUTOR}
# scenarios that show a path beyond the error's first one
EXTRA: dict[str, Scenario] = {"VaultPaused, mid-batch": paused_mid_batch}

ABI_ERRORS = [(contract, name) for contract in SCENARIOS for name in load(contract).error_names]


@pytest.mark.parametrize(("contract", "error"), ABI_ERRORS, ids=[f"{c}.{e}" for c, e in ABI_ERRORS])
def test_error_is_triggered(hostile_world: World, contract: str, error: str) -> None:
    reason = UNREACHABLE.get((contract, error))
    scenario = SCENARIOS[contract].get(error)
    if reason is not None:
        assert scenario is None, f"{contract}.{error} has a scenario and is listed unreachable"
        return
    assert scenario is not None, (
        f"{contract}.{error} is in the ABI but nothing triggers it: add a scenario, or list "
        "it in UNREACHABLE with the reason"
    )
    exc = scenario(hostile_world.fresh())
    assert exc.name == error, f"expected {error}, the transaction reverted with {exc}"


@pytest.mark.parametrize("name", sorted(EXTRA))
def test_extra_path(hostile_world: World, name: str) -> None:
    exc = EXTRA[name](hostile_world.fresh())
    assert exc.name == name.split(",")[0], exc


def test_lists_name_only_abi_errors() -> None:
    """Every scenario and every UNREACHABLE entry names an error its contract really has: a
    stale entry fails here."""
    for contract, table in SCENARIOS.items():
        known = set(load(contract).error_names)
        assert set(table) <= known, set(table) - known
    for contract, name in UNREACHABLE:
        assert name in load(contract).error_names, (contract, name)
