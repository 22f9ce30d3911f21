"""The domain package: pure nouns, state machines as data, the protocols between layers, and
typed transactions that sign exactly as eth-account signs the same fields."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from eth_account import Account
from hypothesis import given
from hypothesis import strategies as st

import zippifi
from zippifi.domain import (
    INTENT_STATUSES,
    INTENT_TRANSITIONS,
    ORDER_STATUSES,
    ORDER_TRANSITIONS,
    STRATEGY_STATUSES,
    STRATEGY_TRANSITIONS,
    TX_STATUSES,
    TX_TRANSITIONS,
    FillSink,
    IntentSink,
    PreSignCheck,
    RiskDecision,
    RiskGate,
    UnsignedTx,
    can_transition,
    check_transition,
    terminal,
)
from zippifi.errors import InvalidInputError, InvalidTransitionError
from zippifi.sign import Signer, to_checksum_address

PYTHON_DIR = Path(zippifi.__file__).resolve().parent.parent
MACHINES = [
    (INTENT_STATUSES, INTENT_TRANSITIONS),
    (ORDER_STATUSES, ORDER_TRANSITIONS),
    (STRATEGY_STATUSES, STRATEGY_TRANSITIONS),
    (TX_STATUSES, TX_TRANSITIONS),
]


def test_domain_and_errors_load_without_the_extension() -> None:
    code = textwrap.dedent(
        """
        import importlib.abc, sys

        class NoCore(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name == "zippifi._core":
                    raise ImportError("the extension is not to be loaded")
                return None

        sys.meta_path.insert(0, NoCore())
        import zippifi.domain, zippifi.errors
        from zippifi.domain import TradeIntent, UnsignedTx, RiskGate
        assert "zippifi._core" not in sys.modules
        try:
            zippifi.errors.AmmRevertError
        except ImportError:
            print("kernel errors need the extension")
        print("ok")
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={"PYTHONPATH": str(PYTHON_DIR)}, check=False)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[-1] == "ok"


@pytest.mark.parametrize(("statuses", "table"), MACHINES)
def test_state_machines_are_closed_and_checked(
    statuses: tuple[str, ...], table: dict[str, frozenset[str]]
) -> None:
    assert set(table) <= set(statuses)
    assert set().union(*table.values()) <= set(statuses)
    for current in statuses:
        for new in statuses:
            allowed = new in table.get(current, frozenset())
            assert can_transition(current, new, table) is allowed
            if allowed:
                check_transition("thing 1", current, new, table)
            else:
                with pytest.raises(
                    InvalidTransitionError, match=f"thing 1: cannot go from '{current}'"
                ):
                    check_transition("thing 1", current, new, table)
    assert terminal(statuses, table) == {s for s in statuses if not table.get(s)}


def test_risk_decisions_carry_their_reasons() -> None:
    assert RiskDecision("approve").allowed
    resized = RiskDecision("resize", ("per-trade cap",), amount_in=5, min_amount_out=4)
    assert resized.allowed
    assert resized.amount_in == 5
    assert not RiskDecision("reject", ("daily loss limit",)).allowed
    with pytest.raises(InvalidInputError, match="must say why"):
        RiskDecision("reject")
    with pytest.raises(InvalidInputError, match="resize"):
        RiskDecision("approve", amount_in=5)
    with pytest.raises(InvalidInputError, match="resize"):
        RiskDecision("resize")
    with pytest.raises(InvalidInputError, match="verdict"):
        RiskDecision("maybe")  # type: ignore[arg-type]


def test_protocols_are_structural() -> None:
    class Gate:
        async def review(self, intent: object) -> RiskDecision:
            return RiskDecision("approve")

    class Check:
        async def before_sign(self, tx: UnsignedTx, sender: str) -> None:
            return None

    assert isinstance(Gate(), RiskGate)
    assert isinstance(Check(), PreSignCheck)
    assert not isinstance(Check(), RiskGate)
    assert not isinstance(Gate(), (IntentSink, FillSink))


ADDRESSES = st.binary(min_size=20, max_size=20).map(lambda b: to_checksum_address("0x" + b.hex()))
U = st.integers(min_value=0, max_value=2**64)


@given(
    nonce=U, value=st.integers(min_value=0, max_value=2**256 - 1), gas=st.integers(21_000, 2**30),
    to=st.one_of(st.none(), ADDRESSES), data=st.binary(max_size=64),
    fees=st.one_of(
        st.tuples(U, U).map(
            lambda f: {"max_fee_per_gas": max(f), "max_priority_fee_per_gas": min(f)}
        ),
        U.map(lambda p: {"gas_price": p}),
    ),
)  # fmt: skip
def test_unsigned_tx_signs_as_eth_account_signs_its_fields(
    nonce: int, value: int, gas: int, to: str | None, data: bytes, fees: dict[str, int]
) -> None:
    key = b"\x42" * 32
    tx = UnsignedTx(chain_id=1, nonce=nonce, to=to, value=value, data=data, gas=gas, **fees)
    ours = Signer(key).sign_transaction(tx.signable())
    theirs = Account.sign_transaction(tx.signable(), key)
    assert ours.raw_transaction == bytes(theirs.raw_transaction)
    assert tx.is_eip1559 == ("gas_price" not in fees)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"nonce": -1, "gas_price": 1}, "nonce"),
        ({"nonce": True, "gas_price": 1}, "nonce"),
        ({"gas_price": 1, "max_fee_per_gas": 2, "max_priority_fee_per_gas": 1}, "not both"),
        ({}, "neither"),
        ({"max_fee_per_gas": 2}, "max_priority_fee_per_gas"),
        ({"gas_price": -5}, "gas_price"),
        ({"gas_price": 1, "data": "0x00"}, "data must be bytes"),
    ],
)
def test_unsigned_tx_refuses_bad_fields(fields: dict[str, object], message: str) -> None:
    base: dict[str, object] = {"chain_id": 1, "nonce": 0, "to": None, "value": 0, "data": b"",
                               "gas": 21_000}  # fmt: skip
    with pytest.raises(InvalidInputError, match=message):
        UnsignedTx(**{**base, **fields})  # type: ignore[arg-type]
