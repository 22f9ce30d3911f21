"""The composition root: the one place that knows how ZippiFi's parts fit together.

A :class:`Runtime` is built from :class:`~zippifi.settings.Settings` and, as an async context
manager, starts in order and stops in reverse:

1. the store (SQLite under ``data_dir`` by default, PostgreSQL by URL), migrated;
2. the cache, queue and locks (in-process, or Redis by URL);
3. the chain registry and the default chain's adapter, connected (fails fast on a bad chain);
4. the pool graph, and its sync from the configured factories up to the chain's head (not the
   confirmation depth: routes are quoted on the state swaps run on), bootstrapped before
   start() returns;
5. on demand, one nonce manager and submitter per (chain, account), each reconciled with the
   chain and its in-flight records rebroadcast before first use.

Layers above the domain (execution, risk, settlement, agents) get their collaborators from here
as constructor arguments and never build their own store or adapters; they never import this
module. Service, CLI and demo sit above it.

Modes: ``live`` (chains from settings), ``embedded`` (the in-process EVM as the default chain,
SQLite and in-process infra: what ``zippifi demo`` and tests use) and ``backtest`` (no chain:
the store, in-process infra and a pool graph fed by a replayed market).

    async with Runtime.embedded() as rt:            # a test's runtime, in one line
        submitter = await rt.submitter(signer)
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from zippifi.chain import (
    ChainAdapter,
    ChainRegistry,
    EvmAdapter,
    LegKind,
    NonceManager,
    PoolRef,
    Recovery,
    Submitter,
    encode_call,
)
from zippifi.chain.artifacts import load
from zippifi.domain import Account, FillSink, PreSignCheck, RiskGate
from zippifi.errors import (
    ConfigError,
    KeystoreError,
    TxRevertedError,
    ZippiError,
    ZippiRuntimeError,
)
from zippifi.execution import (
    BacktestRules,
    BacktestVenue,
    ExecutionEngine,
    ExecutionVenue,
    ExecutorEncoder,
    LiveVenue,
    NoCalldata,
    PaperVenue,
    RouteEncoder,
    Router,
    V2RouterEncoder,
    VaultRules,
    VaultRulesGate,
)
from zippifi.log import get_logger
from zippifi.market import Factory, PoolState, PoolSync
from zippifi.risk import (
    RiskEngine,
    RiskPolicy,
    StoreDecisionLog,
    VaultBalances,
    VaultOraclePrices,
)
from zippifi.route import PoolGraph
from zippifi.settings import ChainConfig, Settings, load_settings
from zippifi.sign import Signer, to_checksum_address
from zippifi.store import Infra, Store, open_infra, open_store_from_settings

log = get_logger(__name__)
# a restarted risk gate reads back at least this much of its decisions (its proposers' rates);
# longer when a notional window is longer
RESTORE_WINDOW_S = 60
_VAULT = load("ZippiVault")

Mode = Literal["live", "embedded", "backtest"]
MODES: tuple[Mode, ...] = ("live", "embedded", "backtest")


class Runtime:
    """Builds, starts and stops ZippiFi's parts; hands them to the layers that use them."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        mode: Mode = "live",
        pre_sign: PreSignCheck | None = None,
    ) -> None:
        if mode not in MODES:
            raise ConfigError(f"runtime mode must be one of {MODES}, got {mode!r}")
        settings = settings or load_settings()
        self.mode: Mode = mode
        self.settings = _for_mode(settings, mode)
        # the check every submitter runs before signing (risk's, once it lands)
        self.pre_sign = pre_sign
        # fail on a bad chain configuration now, not at first use
        self.chains = ChainRegistry(self.settings.chains)
        self._store: Store | None = None
        self._infra: Infra | None = None
        self._graph: PoolGraph | None = None
        self._pool_sync: PoolSync | None = None
        self._followed: dict[str, Factory] = {}
        self._signers: dict[str, Signer] = {}
        self._submitters: dict[tuple[int, str], Submitter] = {}
        self.recoveries: dict[tuple[int, str], Recovery] = {}
        self._cleanup: list[Callable[[], None]] = []
        self._started = False

    # --- construction ---------------------------------------------------------------------

    @classmethod
    def embedded(cls, data_dir: str | Path | None = None, **overrides: Any) -> Runtime:
        """A runtime on embedded defaults: the in-process EVM, SQLite and in-process infra
        under ``data_dir`` (a temporary directory, removed on stop, when None). ``overrides``
        are Settings fields (e.g. ``market={...}``)."""
        return cls._with_data_dir("embedded", data_dir, overrides)

    @classmethod
    def backtest(cls, data_dir: str | Path | None = None, **overrides: Any) -> Runtime:
        """A runtime with no chain: store, in-process infra and a pool graph for a replay."""
        return cls._with_data_dir("backtest", data_dir, overrides)

    @classmethod
    def _with_data_dir(cls, mode: Mode, data_dir: str | Path | None, overrides: Any) -> Runtime:
        temporary = data_dir is None
        path = (
            Path(tempfile.mkdtemp(prefix=f"zippifi-{mode}-"))
            if data_dir is None
            else Path(data_dir)
        )
        try:
            runtime = cls(load_settings(data_dir=path, **overrides), mode=mode)
        except BaseException:
            if temporary:
                shutil.rmtree(path, ignore_errors=True)
            raise
        if temporary:
            runtime._cleanup.append(lambda: shutil.rmtree(path, ignore_errors=True))
        return runtime

    # --- lifecycle --------------------------------------------------------------------------

    async def start(self) -> Runtime:
        if self._started:
            raise ZippiRuntimeError("the runtime is already started")
        self._started = True
        try:
            self.settings.data_dir.expanduser().mkdir(parents=True, exist_ok=True)
            self._store = await open_store_from_settings(self.settings)
            self._infra = await open_infra(self.settings.store)
            if self.mode == "backtest":
                self._graph = PoolGraph()
            else:
                config = self.chains.config()
                await self.chains.adapter()  # connected now: a bad chain fails at start
                self._graph = PoolGraph(wrapped_native=config.wrapped_native)
                if config.factories:
                    await self.follow(*(Factory(f.kind, f.address, f.fee_bps)
                                        for f in config.factories))  # fmt: skip
        except BaseException:
            await self.stop()
            raise
        log.info("runtime started", mode=self.mode, chain=self.chains.default_name,
                 store=self.store.dialect, pools=len(self.graph))  # fmt: skip
        return self

    async def stop(self) -> None:
        """Stop what started, in reverse order; safe to call more than once."""
        submitters, self._submitters = list(self._submitters.values()), {}
        for submitter in reversed(submitters):
            with contextlib.suppress(Exception):
                await submitter.nonces.stop()
        self._pool_sync = None
        await self.chains.close()
        if self._infra is not None:
            infra, self._infra = self._infra, None
            await infra.close()
        if self._store is not None:
            store, self._store = self._store, None
            await store.close()
        cleanup, self._cleanup = self._cleanup, []
        for step in reversed(cleanup):
            step()
        self._started = False

    async def __aenter__(self) -> Runtime:
        return await self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:  # fmt: skip
        await self.stop()

    # --- the parts ----------------------------------------------------------------------------

    def _need(self, part: Any, name: str) -> Any:
        if part is None:
            raise ZippiRuntimeError(f"the runtime is not started: no {name} yet")
        return part

    @property
    def store(self) -> Store:
        store: Store = self._need(self._store, "store")
        return store

    @property
    def infra(self) -> Infra:
        infra: Infra = self._need(self._infra, "cache/queue/locks")
        return infra

    @property
    def graph(self) -> PoolGraph:
        graph: PoolGraph = self._need(self._graph, "pool graph")
        return graph

    @property
    def pool_sync(self) -> PoolSync | None:
        """The sync of the default chain's pools into :attr:`graph`; None when no factories
        are configured (or in backtest mode, where the replay feeds the graph)."""
        return self._pool_sync

    async def follow(self, *factories: Factory) -> int:
        """Follow more pool factories into the graph (ones deployed after start, such as the
        sandbox's): the pool sync is rebuilt over every factory followed so far and caught up.
        The number of batches applied."""
        if self.mode == "backtest":
            raise ZippiRuntimeError("a backtest runtime's graph is fed by its replay, not a sync")
        config = self.chains.config()
        known = {} if self._pool_sync is None else dict(self._followed)
        known.update((f.address.lower(), f) for f in factories)
        self._followed = known
        adapter = await self.adapter()
        # the graph follows the head, not the chain's confirmation depth: routes are quoted on
        # the state the next swap runs on (the engine's own last fill included); a reorg's
        # rewind re-reads what it touched, and settlement keeps the depth
        self._pool_sync = PoolSync(adapter, self.store.cursors, self.graph, list(known.values()),
                                   start_block=config.pools_start_block, confirmations=0,
                                   snapshots=self.store.market)  # fmt: skip
        return await self.sync_pools()

    async def sync_pools(self) -> int:
        """Bring the pool graph up to the chain's head (start() does it once); the number of
        batches applied. A daemon runs ``pool_sync.run()`` instead, to follow continuously."""
        if self._pool_sync is None:
            return 0
        await self._pool_sync.start()
        batches = 0
        while await self._pool_sync.poll() is not None:
            batches += 1
        return batches

    def chain_config(self, chain: str | int | None = None) -> ChainConfig:
        return self.chains.config(chain)

    async def adapter(self, chain: str | int | None = None) -> EvmAdapter:
        """A chain's adapter (the default chain's for None), connected."""
        if self.mode == "backtest":
            raise ZippiRuntimeError("a backtest runtime has no chain: use the backtest venue")
        self._need(self._store, "chain")
        return await self.chains.adapter(chain)

    # --- signers and submission --------------------------------------------------------------

    def add_signer(self, signer: Signer) -> Signer:
        """Make ``signer`` known to the runtime (by its address)."""
        self._signers[to_checksum_address(signer.address)] = signer
        return signer

    def signer(self, keystore: str | Path | None = None, password: str | None = None) -> Signer:
        """A signer already added, by address; or one opened from a keystore: a path, or a file
        name under ``sign.keystore_dir``. The password comes from ``password``, else from the
        environment variable ``sign.password_env``."""
        if keystore is None:
            if len(self._signers) == 1:
                return next(iter(self._signers.values()))
            raise KeystoreError(f"name a signer: the runtime holds {len(self._signers)}")
        text = str(keystore)
        if text.startswith("0x") and len(text) == 42:
            known = self._signers.get(to_checksum_address(text))
            if known is None:
                raise KeystoreError(f"no signer for {text} was added to the runtime")
            return known
        path = Path(keystore).expanduser()
        if not path.is_absolute() and not path.exists():
            path = self.settings.sign.keystore_dir.expanduser() / path
        if not path.is_file():
            raise KeystoreError(f"keystore: no file at {path}")
        if password is None:
            env = self.settings.sign.password_env
            password = os.environ.get(env)
            if password is None:
                raise KeystoreError(f"keystore {path.name}: no password given and {env} is not set")
            if not password:
                raise KeystoreError(f"keystore {path.name}: {env} is empty")
        return self.add_signer(Signer.from_keystore(path, password))

    async def submitter(self, signer: Signer | str, chain: str | int | None = None) -> Submitter:
        """The submitter of ``signer``'s account on ``chain``: its nonce lease taken, reconciled
        with the chain, and what a previous run left in flight resolved from the record of what
        was signed (the same bytes rebroadcast, never re-signed). One per (chain, account)."""
        if isinstance(signer, str):
            signer = self.signer(signer)
        else:
            self.add_signer(signer)
        adapter = await self.adapter(chain)
        key = (adapter.chain_id, to_checksum_address(signer.address))
        existing = self._submitters.get(key)
        if existing is not None:
            return existing
        nonces = NonceManager(adapter, self.store.nonces, self.infra.locks, signer.address)
        report = await nonces.start()
        try:
            submitter = Submitter(adapter, signer, nonces, pre_sign=self.pre_sign)
            recovery = await submitter.recover(report, lost="rebroadcast")
        except BaseException:
            await nonces.stop()
            raise
        if recovery.pending or recovery.rebroadcast or recovery.filled or recovery.released:
            log.info(
                "in-flight transactions resolved",
                account=key[1],
                chain_id=key[0],
                pending=recovery.pending,
                rebroadcast=recovery.rebroadcast,
                filled=[f.nonce for f in recovery.filled],
                released=recovery.released,
            )
        self.recoveries[key] = recovery
        self._submitters[key] = submitter
        return submitter

    # --- execution ----------------------------------------------------------------------------

    async def vault(
        self, address: str, chain: str | int | None = None, *, label: str = ""
    ) -> Account:
        """The stored account of a ZippiVault already on ``chain`` (the default chain for
        None), added the first time: what :meth:`execution` takes for a vault deployed by
        someone else. Refused, naming the address, when no vault answers there or the address
        is known as another kind of account."""
        adapter = await self.adapter(chain)
        try:
            checksummed = to_checksum_address(address)
        except ZippiError as exc:
            raise ConfigError(f"vault address {address!r}: {exc}") from None
        where = f"on chain {adapter.chain_id}"
        code = await adapter.rpc("eth_getCode", [checksummed, "latest"])
        if not (code.hex() if isinstance(code, bytes) else str(code).removeprefix("0x")):
            raise ConfigError(f"no contract at vault address {checksummed} {where}")
        answer: bytes | None = None
        # a revert means no such function there; a transport failure propagates as it is
        with contextlib.suppress(TxRevertedError):
            answer = await adapter.call({"to": checksummed,
                                         "data": encode_call(_VAULT, "nonce")})  # fmt: skip
        if answer is None or len(answer) != 32:  # a vault's nonce() returns one uint256
            raise ConfigError(f"{checksummed} {where} does not answer as a ZippiVault")
        found = await self.store.accounts.find(adapter.chain_id, checksummed)
        if found is None:
            return await self.store.accounts.add(adapter.chain_id, checksummed.lower(),
                                                 kind="vault", label=label)  # fmt: skip
        if found.kind != "vault":
            raise ConfigError(f"{checksummed} {where} is stored as a {found.kind}, not a vault")
        return found

    async def execution(
        self,
        vault: Account,
        agent: Signer | str,
        *,
        router: str | None = None,
        factory: str | None = None,
        executor: str | None = None,
        pair_kinds: Mapping[str, LegKind] | None = None,
        venue: Literal["live", "paper"] = "live",
        gate: RiskGate | None = None,
        fill_sink: FillSink | None = None,
        max_hops: int = 3,
        max_splits: int = 1,
        swaps_per_tx: int = 8,
        wrapped_native: str | None = None,
        risk: RiskPolicy | None = None,
    ) -> ExecutionEngine:
        """The execution engine of ``vault`` (a stored account of kind ``vault``), trading as
        ``agent`` on the live chain or in paper mode, through one vault target:

        * ``executor``: the vault's ZippiRouteExecutor, which runs any route (multi-hop, split
          up to ``max_splits`` ways) over the synced pools: V3 pools, and V2 pairs called as
          ``pair_kinds`` says per factory (Uniswap V2 unless given, e.g. ZippiPair);
        * ``router``: an allowlisted V2 router over ``factory``'s pairs (the router itself when
          it is its own factory, as ZippiRouter is), for single-path routes.

        A live step folds up to ``swaps_per_tx`` swaps into one ``swapBatch`` transaction
        (1: one transaction per swap). Fills' gas is valued in the token they bought through
        ``wrapped_native`` (default: the chain's configured one). The gate: ``gate`` if given;
        else, with a ``risk`` policy, the risk engine over the vault's own rules (prices from
        the vault's oracle in the policy's quote token, positions from its balances, decisions
        kept in the store and its windows restored from them); else the vault's own rules
        checked off-chain."""
        if vault.kind != "vault":
            raise ConfigError(f"account {vault.id} is a {vault.kind}, not a vault")
        if (router is None) == (executor is None):
            raise ConfigError("give the engine one vault target: a router or an executor")
        submitter = await self.submitter(agent, vault.chain_id)
        adapter = submitter.adapter
        rules = VaultRules(adapter, to_checksum_address(vault.address), submitter.account)

        def state_of(pool: str) -> PoolState | None:  # the sync of now: follow() may replace it
            sync = self._pool_sync
            return None if sync is None else sync.pools.get(to_checksum_address(pool))

        encoder: RouteEncoder
        if executor is not None:
            kinds = {f.lower(): k for f, k in (pair_kinds or {}).items()}

            def kind_of(pool: str) -> PoolRef | None:
                state = state_of(pool)
                if state is None:
                    return None
                if state.kind == "v3":
                    return PoolRef(LegKind.UNISWAP_V3)
                return PoolRef(kinds.get(state.factory.lower(), LegKind.UNISWAP_V2),
                               getattr(state, "fee_bps", 30))  # fmt: skip

            encoder = ExecutorEncoder(executor, kind_of)
        else:
            assert router is not None

            def factory_of(pool: str) -> str | None:
                state = state_of(pool)
                return None if state is None else state.factory

            encoder = V2RouterEncoder(router, factory or router, factory_of)
            max_splits = 1
        if gate is None and risk is not None:
            gate = await self._risk_gate(risk, vault, adapter, VaultRulesGate(rules))
        planner = Router(self.graph, rules, encoder, chain_id=adapter.chain_id,
                         max_hops=max_hops, max_splits=max_splits)  # fmt: skip
        chosen: ExecutionVenue = (
            LiveVenue(submitter, swaps_per_tx=swaps_per_tx) if venue == "live"
            else PaperVenue(submitter)
        )  # fmt: skip
        return ExecutionEngine(
            store=self.store, venue=chosen, router=planner, gate=gate or VaultRulesGate(rules),
            vault=vault, adapter=adapter, fill_sink=fill_sink,
            confirmations=self.chains.config(vault.chain_id).confirmations,
            refresh=self.sync_pools, wrapped_native=wrapped_native,
        )  # fmt: skip

    async def _risk_gate(
        self, policy: RiskPolicy, vault: Account, adapter: ChainAdapter, inner: RiskGate
    ) -> RiskEngine:
        if policy.quote is None:
            raise ConfigError("the risk policy needs a quote token to count notional in")
        log_ = StoreDecisionLog(self.store)
        engine = RiskEngine(policy, graph=self.graph,
                            prices=VaultOraclePrices(adapter, vault.address, policy.quote),
                            positions=VaultBalances(adapter, vault.address), log=log_,
                            inner=inner)  # fmt: skip
        scopes = [policy.default, *policy.vaults.values(), *policy.strategies.values(),
                  *policy.tokens.values()]  # fmt: skip
        longest = max([s.window_s for s in scopes if s.window_s] + [RESTORE_WINDOW_S])
        engine.restore(await log_.recent(longest))
        return engine

    async def backtest_execution(
        self,
        rules: BacktestRules,
        venue: BacktestVenue,
        *,
        chain_id: int = 0,
        gate: RiskGate | None = None,
        fill_sink: FillSink | None = None,
        max_hops: int = 3,
    ) -> ExecutionEngine:
        """The execution engine of a backtest: the same engine, gate and router as live, on the
        venue's graph, with the vault's rules in memory. The vault is stored as an account of
        ``chain_id`` (0: no chain) the first time."""
        vault = await self.store.accounts.find(chain_id, rules.vault)
        if vault is None:
            vault = await self.store.accounts.add(chain_id, rules.vault.lower(), kind="vault",
                                                  label="backtest vault")  # fmt: skip
        planner = Router(venue.graph, rules, NoCalldata(), chain_id=chain_id, max_hops=max_hops,
                         gas_price_wei=venue.gas_price_wei)  # fmt: skip
        return ExecutionEngine(store=self.store, venue=venue, router=planner,
                               gate=gate or VaultRulesGate(rules), vault=vault,
                               fill_sink=fill_sink, clock=rules.clock)  # fmt: skip

    # --- embedded chain helpers ----------------------------------------------------------------

    async def fund(self, address: str, wei: int) -> None:
        """Embedded mode: pay ``wei`` to ``address`` from the in-process chain's dev account."""
        if self.mode != "embedded":
            raise ZippiRuntimeError("only the embedded chain has a dev account to fund from")
        adapter = await self.adapter()
        rich = (await adapter.rpc("eth_accounts", []))[0]
        tx_hash = await adapter.rpc(
            "eth_sendTransaction",
            [{"from": rich, "to": to_checksum_address(address), "value": hex(wei)}],
        )
        receipt = await adapter.get_receipt(bytes.fromhex(str(tx_hash).removeprefix("0x")))
        if receipt is None or receipt.status != 1:
            raise ZippiRuntimeError(f"funding {address} on the embedded chain failed")


def _for_mode(settings: Settings, mode: Mode) -> Settings:
    """The embedded mode runs on embedded backends whatever the settings say."""
    if mode == "live":
        return settings
    store = settings.store.model_copy(update={"database_url": None, "redis_url": None})
    chains = settings.chains.model_copy(update={"default": "embedded"})
    return settings.model_copy(update={"store": store, "chains": chains})
