"""Where an agent swap's gas goes: each contract's own gas (its frames, without the calls it
makes) and its costliest opcodes, for the vault's swap through ZippiRouteExecutor and for the
EOA peer through Router02 (or the V3 pool and ZippiV3SwapRouter), on the gas bench's deployment.

    PYTHONPATH=python python -m bench.gas_breakdown [v2|v3]

py-evm's opcode functions are wrapped for the run, so this is a diagnostic, not a benchmark.
A transaction's gasUsed = 21,000 + calldata + the sum of the frames - refunds (shown)."""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from eth.vm.computation import BaseComputation
from eth.vm.forks import CancunVM, PragueVM

_own: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
_labels: dict[str, str] = {}
_stack: list[str] = []
_child_gas: list[int] = []
_on = [False]
_apply: Callable[..., Any] = BaseComputation.apply_computation.__func__  # type: ignore[attr-defined]


def _apply_traced(
    cls: Any, state: Any, message: Any, context: Any, parent_computation: Any = None
) -> Any:
    if not _on[0]:
        return _apply(cls, state, message, context, parent_computation)
    address = "0x" + bytes(message.code_address).hex()
    _stack.append(_labels.get(address, address[:10]))
    computation = _apply(cls, state, message, context, parent_computation)
    _stack.pop()
    _child_gas.append(
        message.gas - (0 if computation.is_error else computation.get_gas_remaining())
    )
    return computation


def _wrap(opcodes: dict[int, Any]) -> dict[int, Any]:
    def traced(fn: Any) -> Any:
        name = getattr(fn, "mnemonic", "?")

        def run(computation: Any) -> None:
            if not _on[0]:
                fn(computation=computation)
                return
            before, children = computation.get_gas_remaining(), len(_child_gas)
            fn(computation=computation)
            child = sum(_child_gas[children:])
            del _child_gas[children:]
            spent = before - computation.get_gas_remaining() - child
            _own[_stack[-1] if _stack else "?"][name] += spent

        run.mnemonic = name  # type: ignore[attr-defined]
        return run

    return {code: traced(fn) for code, fn in opcodes.items()}


def _install() -> None:
    BaseComputation.apply_computation = classmethod(_apply_traced)  # type: ignore[assignment,method-assign]
    for vm in (CancunVM, PragueVM):
        comp = vm._state_class.computation_class
        comp.opcodes = _wrap(comp.opcodes)


def _run(env: Any, title: str, to: str, data: bytes, sender: str, snapshot: list[Any]) -> None:
    env.chain.revert(snapshot[0])
    snapshot[0] = env.chain.snapshot()
    _own.clear()
    _on[0] = True
    tx = {"from": sender, "to": to, "gas": 2_000_000, "data": data}
    receipt = env.w3.eth.wait_for_transaction_receipt(env.w3.eth.send_transaction(tx))
    _on[0] = False
    calldata = sum(16 if b else 4 for b in data)
    frames = sum(sum(ops.values()) for ops in _own.values())
    refund = 21_000 + calldata + frames - int(receipt["gasUsed"])
    print(f"\n{title}: gasUsed {receipt['gasUsed']:,} = 21,000 + calldata {calldata:,}", end="")
    print(f" + frames {frames:,} - refunds {refund:,}")
    for label, ops in sorted(_own.items(), key=lambda kv: -sum(kv[1].values())):
        top = sorted(ops.items(), key=lambda kv: -kv[1])[:6]
        detail = ", ".join(f"{op} {gas:,}" for op, gas in top)
        print(f"  {label:12s} {sum(ops.values()):8,}   {detail}")


def main() -> None:
    _install()
    from bench import test_vault_gas as g
    from zippifi.chain import LegKind, swap_exact_in_calldata

    uni, primed, _ = g._deployed()
    env = uni.env
    for name, address in {
        "vault proxy": env.vault.address,
        "vault impl": env.implementation,
        "executor": g._STATE["executor"],
        "WETH": env.weth.address,
        "USDC": env.usdc.address,
        "V2 pair": uni.v2_pair.address,
        "V3 pool": uni.v3_pool.address,
        "Router02": uni.v2_router.address,
        "V3 router": uni.v3_router.address,
        "WETH feed": env.weth.feed.address if env.weth.feed else "",
        "USDC feed": env.usdc.feed.address if env.usdc.feed else "",
    }.items():
        _labels[address.lower()] = name
    kind = LegKind.UNISWAP_V3 if sys.argv[1:] == ["v3"] else LegKind.UNISWAP_V2
    data = swap_exact_in_calldata(g._executor_swap(uni, kind), g.DEADLINE)
    _run(
        env,
        f"agent swap via the executor ({kind.name})",
        env.vault.address,
        data,
        env.agent,
        primed,
    )
    if kind == LegKind.UNISWAP_V2:
        peer = (uni.v2_router.address, g._v2_data(env, env.deployer))
    else:
        peer = (uni.v3_router.address, g._v3_data(env, env.deployer))
    _run(env, "EOA peer", peer[0], peer[1], env.deployer, primed)


if __name__ == "__main__":
    main()
