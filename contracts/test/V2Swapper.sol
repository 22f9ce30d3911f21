// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

interface ITestToken {
    function mint(address to, uint256 amount) external;
}

interface IV2PairLike {
    function token0() external view returns (address);
    function token1() external view returns (address);
    function sync() external;
    function getReserves() external view returns (uint112 reserve0, uint112 reserve1, uint32 blockTimestampLast);
    function swap(uint256 amount0Out, uint256 amount1Out, address to, bytes calldata data) external;
}

/// @title V2Swapper
/// @notice Drives a Uniswap V2 pair whose tokens are TestERC20s (mintable by anyone): sets its
/// reserves (mint the difference to the pair, then sync) and pays-then-swaps in one call, so a
/// test can ask the real pair, with eth_call, whether it accepts a given (input, output).
contract V2Swapper {
    /// Raises the pair's reserves to (reserve0, reserve1); each must be >= the current one.
    function setReserves(address pair, uint256 reserve0, uint256 reserve1) external {
        (uint112 r0, uint112 r1,) = IV2PairLike(pair).getReserves();
        require(reserve0 >= r0 && reserve1 >= r1, "V2Swapper: reserves only grow");
        if (reserve0 > r0) ITestToken(IV2PairLike(pair).token0()).mint(pair, reserve0 - r0);
        if (reserve1 > r1) ITestToken(IV2PairLike(pair).token1()).mint(pair, reserve1 - r1);
        IV2PairLike(pair).sync();
    }

    /// Sends amountIn of token0 (zeroForOne) or token1 to the pair, then asks it for amountOut of
    /// the other token. Reverts with the pair's own reason when the pair refuses.
    function swap(address pair, bool zeroForOne, uint256 amountIn, uint256 amountOut) external {
        address tokenIn = zeroForOne ? IV2PairLike(pair).token0() : IV2PairLike(pair).token1();
        if (amountIn > 0) ITestToken(tokenIn).mint(pair, amountIn);
        if (zeroForOne) IV2PairLike(pair).swap(0, amountOut, address(this), "");
        else IV2PairLike(pair).swap(amountOut, 0, address(this), "");
    }
}
