"""Uniswap V2: the npm packages' factory, pair and Router02 on the harness chain.

Router02 (``@uniswap/v2-periphery``) exposes UniswapV2Library's pure getAmountOut/getAmountIn,
so it is the library as deployed. The pair (created by the ``@uniswap/v2-core`` factory) is the
final word: :meth:`V2Deployment.pair_swap_error` asks it, by eth_call through the V2Swapper
helper, whether it pays a given output for a given input (it checks its K invariant with the
0.3% fee) and returns its revert reason if not. Reserves are set by minting to the pair and
``sync()``, from a snapshot of the freshly created pair, so any reserves up to 2**112 - 1 work.
"""

from __future__ import annotations

from web3.contract import Contract

from tests.uniswap.artifacts import helper_artifact, uniswap_artifact
from tests.uniswap.chain import Chain, Reverted

MAX_RESERVE = 2**112 - 1  # the pair keeps reserves in uint112
NO_WETH = "0x000000000000000000000000000000000000dEaD"  # Router02's pure functions never use it


class V2Deployment:
    def __init__(self, chain: Chain) -> None:
        self.chain = chain
        self.factory = chain.deploy(uniswap_artifact("UniswapV2Factory"), chain.account)
        self.router = chain.deploy(
            uniswap_artifact("UniswapV2Router02"), self.factory.address, NO_WETH
        )
        erc20 = helper_artifact("TestERC20")
        a = chain.deploy(erc20, "Token A", "TKA")
        b = chain.deploy(erc20, "Token B", "TKB")
        chain.send(self.factory.functions.createPair(a.address, b.address))
        self.pair: Contract = chain.at(
            uniswap_artifact("UniswapV2Pair"),
            chain.call(self.factory.functions.getPair(a.address, b.address)),
        )
        self.swapper = chain.deploy(helper_artifact("V2Swapper"))
        self._base = chain.snapshot()
        self._reserves = (0, 0)

    # the pair

    def set_reserves(self, reserve0: int, reserve1: int) -> None:
        """The pair's reserves become exactly (reserve0, reserve1), each 0..2**112 - 1."""
        if (reserve0, reserve1) == self._reserves:
            return
        self.chain.revert(self._base)
        self._base = self.chain.snapshot()  # hardhat/anvil forget a snapshot once reverted to
        self._reserves = (0, 0)
        if reserve0 or reserve1:
            self.chain.send(
                self.swapper.functions.setReserves(self.pair.address, reserve0, reserve1)
            )
        self._reserves = (reserve0, reserve1)
        got = self.reserves()
        if got != (reserve0, reserve1):
            raise AssertionError(f"pair reserves are {got}, wanted {(reserve0, reserve1)}")

    def reserves(self) -> tuple[int, int]:
        r0, r1, _ = self.chain.call(self.pair.functions.getReserves())
        return int(r0), int(r1)

    def pair_swap_error(self, zero_for_one: bool, amount_in: int, amount_out: int) -> str | None:
        """None if the pair, paid amount_in of one token, pays amount_out of the other; else its
        revert reason ("UniswapV2: K", "UniswapV2: INSUFFICIENT_LIQUIDITY", ...)."""
        fn = self.swapper.functions.swap(self.pair.address, zero_for_one, amount_in, amount_out)
        try:
            self.chain.call(fn)
        except Reverted as exc:
            return exc.reason
        return None

    # the library, through Router02

    def router_amount_out(self, amount_in: int, reserve_in: int, reserve_out: int) -> int:
        """UniswapV2Library.getAmountOut on-chain; raises Reverted."""
        return int(
            self.chain.call(self.router.functions.getAmountOut(amount_in, reserve_in, reserve_out))
        )

    def router_amount_in(self, amount_out: int, reserve_in: int, reserve_out: int) -> int:
        """UniswapV2Library.getAmountIn on-chain; raises Reverted."""
        return int(
            self.chain.call(self.router.functions.getAmountIn(amount_out, reserve_in, reserve_out))
        )
