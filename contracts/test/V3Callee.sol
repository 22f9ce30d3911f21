// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

interface IERC20Like {
    function transfer(address to, uint256 amount) external returns (bool);
}

interface IV3PoolLike {
    function token0() external view returns (address);
    function token1() external view returns (address);
    function mint(address recipient, int24 tickLower, int24 tickUpper, uint128 amount, bytes calldata data)
        external
        returns (uint256 amount0, uint256 amount1);
    function swap(
        address recipient,
        bool zeroForOne,
        int256 amountSpecified,
        uint160 sqrtPriceLimitX96,
        bytes calldata data
    ) external returns (int256 amount0, int256 amount1);
    function slot0() external view returns (uint160, int24, uint16, uint16, uint16, uint8, bool);
    function liquidity() external view returns (uint128);
}

/// @title V3Callee
/// @notice Mints positions in and swaps directly against a Uniswap V3 pool, paying what the pool
/// asks in its callbacks from this contract's own token balances (fund it by minting to it).
/// Every swap goes straight to pool.swap: exact input (amountSpecified > 0), exact output (< 0),
/// any price limit, so the pool's own checks decide what reverts. Output goes to this contract.
contract V3Callee {
    /// The pool this contract is calling right now; callbacks from anyone else are refused.
    address private activePool;

    /// The pool's slot0 price and tick and its liquidity right after a swap (same transaction).
    event SwapState(address indexed pool, uint160 sqrtPriceX96, int24 tick, uint128 liquidity);
    event Minted(address indexed pool, int24 tickLower, int24 tickUpper, uint128 liquidity, uint256 amount0, uint256 amount1);

    function mint(address pool, int24 tickLower, int24 tickUpper, uint128 liquidity)
        external
        returns (uint256 amount0, uint256 amount1)
    {
        activePool = pool;
        (amount0, amount1) = IV3PoolLike(pool).mint(address(this), tickLower, tickUpper, liquidity, "");
        activePool = address(0);
        emit Minted(pool, tickLower, tickUpper, liquidity, amount0, amount1);
    }

    /// Several positions in one transaction (fewer blocks to mine in tests).
    function mintMany(address pool, int24[] calldata lowers, int24[] calldata uppers, uint128[] calldata liquidities)
        external
    {
        require(lowers.length == uppers.length && lowers.length == liquidities.length, "V3Callee: lengths");
        activePool = pool;
        for (uint256 i = 0; i < lowers.length; i++) {
            (uint256 amount0, uint256 amount1) =
                IV3PoolLike(pool).mint(address(this), lowers[i], uppers[i], liquidities[i], "");
            emit Minted(pool, lowers[i], uppers[i], liquidities[i], amount0, amount1);
        }
        activePool = address(0);
    }

    function swap(address pool, bool zeroForOne, int256 amountSpecified, uint160 sqrtPriceLimitX96)
        external
        returns (int256 amount0, int256 amount1)
    {
        activePool = pool;
        (amount0, amount1) = IV3PoolLike(pool).swap(address(this), zeroForOne, amountSpecified, sqrtPriceLimitX96, "");
        activePool = address(0);
        (uint160 sqrtPriceX96, int24 tick,,,,,) = IV3PoolLike(pool).slot0();
        emit SwapState(pool, sqrtPriceX96, tick, IV3PoolLike(pool).liquidity());
    }

    function uniswapV3MintCallback(uint256 amount0Owed, uint256 amount1Owed, bytes calldata) external {
        require(msg.sender == activePool, "V3Callee: unexpected mint callback");
        if (amount0Owed > 0) _pay(IV3PoolLike(msg.sender).token0(), amount0Owed);
        if (amount1Owed > 0) _pay(IV3PoolLike(msg.sender).token1(), amount1Owed);
    }

    function uniswapV3SwapCallback(int256 amount0Delta, int256 amount1Delta, bytes calldata) external {
        require(msg.sender == activePool, "V3Callee: unexpected swap callback");
        if (amount0Delta > 0) _pay(IV3PoolLike(msg.sender).token0(), uint256(amount0Delta));
        if (amount1Delta > 0) _pay(IV3PoolLike(msg.sender).token1(), uint256(amount1Delta));
    }

    function _pay(address token, uint256 amount) private {
        require(IERC20Like(token).transfer(msg.sender, amount), "V3Callee: transfer failed");
    }
}
