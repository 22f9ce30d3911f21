"""zippifi.chain.vault's encoders against web3's own ABI encoding of the real contracts' ABIs
(Uniswap's Router02 from npm, our V3 adapter and vault from the shipped artifacts)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from web3 import Web3

from tests.uniswap.artifacts import HarnessUnavailableError, uniswap_artifact
from zippifi.chain import (
    PARAM_TYPES,
    ActionKind,
    action,
    v2_swap_calldata,
    v3_swap_calldata,
)
from zippifi.chain.artifacts import load
from zippifi.errors import InvalidInputError
from zippifi.sign import to_checksum_address

ADDRESS = st.binary(min_size=20, max_size=20).map(lambda b: to_checksum_address(b))
UINT = st.integers(0, 2**256 - 1)
W3 = Web3()


@given(
    amount=UINT,
    min_out=UINT,
    path=st.lists(ADDRESS, min_size=2, max_size=4),
    to=ADDRESS,
    deadline=UINT,
)
def test_v2_calldata_is_router02s(
    amount: int, min_out: int, path: list[str], to: str, deadline: int
) -> None:
    try:
        abi = uniswap_artifact("UniswapV2Router02").abi
    except HarnessUnavailableError as exc:
        pytest.skip(str(exc))
    expected = W3.eth.contract(abi=abi).encode_abi(
        "swapExactTokensForTokens", [amount, min_out, path, to, deadline]
    )
    assert "0x" + v2_swap_calldata(amount, min_out, path, to, deadline).hex() == expected


@given(
    a=ADDRESS,
    b=ADDRESS,
    fee=st.integers(1, 2**24 - 1),
    amount=UINT,
    min_out=UINT,
    to=ADDRESS,
    deadline=UINT,
    limit=st.integers(0, 2**160 - 1),
)
def test_v3_calldata_is_the_adapters(
    a: str, b: str, fee: int, amount: int, min_out: int, to: str, deadline: int, limit: int
) -> None:
    expected = W3.eth.contract(abi=load("ZippiV3SwapRouter").abi).encode_abi(
        "exactInputSingle", [a, b, fee, amount, min_out, to, deadline, limit]
    )
    assert "0x" + v3_swap_calldata(a, b, fee, amount, min_out, to, deadline, limit).hex() == (
        expected
    )


def test_param_types_cover_every_kind_and_match_the_vaults_enum() -> None:
    assert set(PARAM_TYPES) == set(ActionKind)
    # the enum's order is the contract's: kinds are only appended (UNPAUSE stays 11), and
    # kind 16 is the last one the vault accepts
    assert ActionKind.UNPAUSE == 11
    assert max(ActionKind) == ActionKind.SET_UPGRADE_DELAY == 16


def test_encoders_refuse_bad_input() -> None:
    with pytest.raises(InvalidInputError, match="at least two tokens"):
        v2_swap_calldata(1, 0, ["0x" + "11" * 20], "0x" + "22" * 20, 1)
    with pytest.raises(InvalidInputError, match="amount_in"):
        v2_swap_calldata(-1, 0, ["0x" + "11" * 20] * 2, "0x" + "22" * 20, 1)
    with pytest.raises(InvalidInputError, match="fee"):
        v3_swap_calldata("0x" + "11" * 20, "0x" + "22" * 20, 0, 1, 0, "0x" + "33" * 20, 1)
    with pytest.raises(InvalidInputError, match="sqrt_price_limit_x96"):
        v3_swap_calldata("0x" + "11" * 20, "0x" + "22" * 20, 500, 1, 0, "0x" + "33" * 20, 1, 2**160)
    with pytest.raises(InvalidInputError, match="deadline"):
        action(ActionKind.PAUSE, nonce=0, deadline=2**256)
