// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

interface IERC20Transfer {
    function transfer(address to, uint256 amount) external returns (bool);
}

interface IV3PoolPositions {
    function token0() external view returns (address);
    function token1() external view returns (address);
    function mint(address recipient, int24 tickLower, int24 tickUpper, uint128 amount, bytes calldata data)
        external
        returns (uint256 amount0, uint256 amount1);
    function burn(int24 tickLower, int24 tickUpper, uint128 amount) external returns (uint256 amount0, uint256 amount1);
    function collect(
        address recipient,
        int24 tickLower,
        int24 tickUpper,
        uint128 amount0Requested,
        uint128 amount1Requested
    ) external returns (uint128 amount0, uint128 amount1);
}

/// @title V3Positions
/// @notice Owns Uniswap V3 positions, so a test can both add and take out liquidity: mint pays
/// the pool from this contract's own token balances (fund it by minting to it), burn removes
/// liquidity from a position this contract minted and collects what the pool owes it.
contract V3Positions {
    /// The pool this contract is minting in right now; callbacks from anyone else are refused.
    address private activePool;

    function mint(address pool, int24 tickLower, int24 tickUpper, uint128 liquidity) external {
        activePool = pool;
        IV3PoolPositions(pool).mint(address(this), tickLower, tickUpper, liquidity, "");
        activePool = address(0);
    }

    function burn(address pool, int24 tickLower, int24 tickUpper, uint128 liquidity) external {
        IV3PoolPositions(pool).burn(tickLower, tickUpper, liquidity);
        IV3PoolPositions(pool).collect(address(this), tickLower, tickUpper, type(uint128).max, type(uint128).max);
    }

    function uniswapV3MintCallback(uint256 amount0Owed, uint256 amount1Owed, bytes calldata) external {
        require(msg.sender == activePool, "V3Positions: unexpected mint callback");
        if (amount0Owed > 0) _pay(IV3PoolPositions(msg.sender).token0(), amount0Owed);
        if (amount1Owed > 0) _pay(IV3PoolPositions(msg.sender).token1(), amount1Owed);
    }

    function _pay(address token, uint256 amount) private {
        require(IERC20Transfer(token).transfer(msg.sender, amount), "V3Positions: transfer failed");
    }
}
