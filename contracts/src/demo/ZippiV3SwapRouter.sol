// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

interface IUniswapV3FactoryLike {
    function getPool(address tokenA, address tokenB, uint24 fee) external view returns (address);
}

interface IUniswapV3PoolLike {
    function swap(address recipient, bool zeroForOne, int256 amountSpecified, uint160 sqrtPriceLimitX96, bytes calldata data)
        external
        returns (int256 amount0, int256 amount1);
}

/// @title ZippiV3SwapRouter
/// @notice A minimal exact-input, single-pool swap router for Uniswap V3, so the vault (which
/// only makes plain calls to allowlisted targets) can trade on V3: the pool is looked up in the
/// factory given at deployment (no caller-chosen pool), the input is pulled from the caller in
/// `uniswapV3SwapCallback`, and the output goes to `recipient`. The pool being called is kept in
/// transient storage, so only it may call back, and only during the swap.
contract ZippiV3SwapRouter {
    using SafeERC20 for IERC20;

    // TickMath's bounds: a swap with no price limit walks to just inside them
    uint160 internal constant MIN_SQRT_RATIO = 4295128739;
    uint160 internal constant MAX_SQRT_RATIO = 1461446703485210103287273052203988822378723970342;

    address public immutable factory;

    address private transient _activePool;
    address private transient _payer;
    address private transient _tokenIn;

    error Expired(uint256 deadline, uint256 blockTimestamp);
    error NoPool(address tokenIn, address tokenOut, uint24 fee);
    error UnexpectedCallback(address caller);
    error AmountTooLarge(uint256 amountIn);
    error TooLittleReceived(uint256 amountOut, uint256 amountOutMinimum);

    constructor(address factory_) {
        factory = factory_;
    }

    /// Swaps exactly amountIn of tokenIn (pulled from the caller, who approved this contract)
    /// for tokenOut in the factory's pool of that fee tier, paid to recipient.
    function exactInputSingle(
        address tokenIn,
        address tokenOut,
        uint24 fee,
        uint256 amountIn,
        uint256 amountOutMinimum,
        address recipient,
        uint256 deadline,
        uint160 sqrtPriceLimitX96
    ) external returns (uint256 amountOut) {
        if (block.timestamp > deadline) revert Expired(deadline, block.timestamp);
        if (amountIn > uint256(type(int256).max)) revert AmountTooLarge(amountIn);
        address pool = IUniswapV3FactoryLike(factory).getPool(tokenIn, tokenOut, fee);
        if (pool == address(0)) revert NoPool(tokenIn, tokenOut, fee);
        bool zeroForOne = tokenIn < tokenOut;
        if (sqrtPriceLimitX96 == 0) sqrtPriceLimitX96 = zeroForOne ? MIN_SQRT_RATIO + 1 : MAX_SQRT_RATIO - 1;
        (_activePool, _payer, _tokenIn) = (pool, msg.sender, tokenIn);
        (int256 amount0, int256 amount1) =
            IUniswapV3PoolLike(pool).swap(recipient, zeroForOne, int256(amountIn), sqrtPriceLimitX96, "");
        (_activePool, _payer, _tokenIn) = (address(0), address(0), address(0));
        amountOut = uint256(-(zeroForOne ? amount1 : amount0));
        if (amountOut < amountOutMinimum) revert TooLittleReceived(amountOut, amountOutMinimum);
    }

    function uniswapV3SwapCallback(int256 amount0Delta, int256 amount1Delta, bytes calldata) external {
        if (msg.sender != _activePool || msg.sender == address(0)) revert UnexpectedCallback(msg.sender);
        uint256 owed = uint256(amount0Delta > 0 ? amount0Delta : amount1Delta);
        IERC20(_tokenIn).safeTransferFrom(_payer, msg.sender, owed);
    }
}
