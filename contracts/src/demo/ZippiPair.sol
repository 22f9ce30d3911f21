// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title ZippiPair
/// @notice A constant-product pool of two tokens with a 0.3% fee on input, for the embedded demo
/// (so it needs nothing external). Same accounting model as a Uniswap V2 pair: tokens are sent
/// first, then `mint`/`swap` settle against the recorded reserves; the fee-adjusted product
/// (1000*b - 3*in) must not fall. No flash swaps, no protocol fee, no price accumulators.
/// Liquidity shares are this contract's own ERC20; the first MINIMUM_LIQUIDITY are locked.
contract ZippiPair is ERC20, ReentrancyGuard {
    using SafeERC20 for IERC20;

    uint256 public constant MINIMUM_LIQUIDITY = 1000;
    address private constant LOCKED = address(0xdead);

    address public immutable factory;
    address public immutable token0;
    address public immutable token1;
    uint112 private _reserve0;
    uint112 private _reserve1;

    error ZeroAmount();
    error InsufficientLiquidityMinted();
    error InsufficientLiquidity(uint256 amountOut, uint256 reserve);
    error InvalidRecipient(address to);
    error ConstantProductViolated();
    error ReserveOverflow();

    event Mint(address indexed sender, uint256 amount0, uint256 amount1, address indexed to);
    event Burn(address indexed sender, uint256 amount0, uint256 amount1, address indexed to);
    event Swap(
        address indexed sender,
        uint256 amount0In,
        uint256 amount1In,
        uint256 amount0Out,
        uint256 amount1Out,
        address indexed to
    );
    event Sync(uint112 reserve0, uint112 reserve1);

    constructor(address tokenA, address tokenB) ERC20("ZippiFi LP", "ZLP") {
        (token0, token1) = tokenA < tokenB ? (tokenA, tokenB) : (tokenB, tokenA);
        factory = msg.sender;
    }

    function getReserves() public view returns (uint112 reserve0, uint112 reserve1) {
        return (_reserve0, _reserve1);
    }

    /// Shares for the tokens sent since the last settlement.
    function mint(address to) external nonReentrant returns (uint256 liquidity) {
        (uint256 r0, uint256 r1) = (_reserve0, _reserve1);
        uint256 b0 = IERC20(token0).balanceOf(address(this));
        uint256 b1 = IERC20(token1).balanceOf(address(this));
        uint256 a0 = b0 - r0;
        uint256 a1 = b1 - r1;
        uint256 supply = totalSupply();
        if (supply == 0) {
            liquidity = Math.sqrt(a0 * a1);
            if (liquidity <= MINIMUM_LIQUIDITY) revert InsufficientLiquidityMinted();
            liquidity -= MINIMUM_LIQUIDITY;
            _mint(LOCKED, MINIMUM_LIQUIDITY);
        } else {
            liquidity = Math.min(a0 * supply / r0, a1 * supply / r1);
        }
        if (liquidity == 0) revert InsufficientLiquidityMinted();
        _mint(to, liquidity);
        _update(b0, b1);
        emit Mint(msg.sender, a0, a1, to);
    }

    /// Burns the shares sent to this contract and pays out their part of both reserves.
    function burn(address to) external nonReentrant returns (uint256 amount0, uint256 amount1) {
        uint256 b0 = IERC20(token0).balanceOf(address(this));
        uint256 b1 = IERC20(token1).balanceOf(address(this));
        uint256 liquidity = balanceOf(address(this));
        uint256 supply = totalSupply();
        amount0 = liquidity * b0 / supply;
        amount1 = liquidity * b1 / supply;
        if (amount0 == 0 || amount1 == 0) revert ZeroAmount();
        _burn(address(this), liquidity);
        IERC20(token0).safeTransfer(to, amount0);
        IERC20(token1).safeTransfer(to, amount1);
        _update(IERC20(token0).balanceOf(address(this)), IERC20(token1).balanceOf(address(this)));
        emit Burn(msg.sender, amount0, amount1, to);
    }

    /// Pays out the amounts asked for, provided the input already sent covers them with the fee.
    function swap(uint256 amount0Out, uint256 amount1Out, address to) external nonReentrant {
        if (amount0Out == 0 && amount1Out == 0) revert ZeroAmount();
        (uint256 r0, uint256 r1) = (_reserve0, _reserve1);
        if (amount0Out >= r0) revert InsufficientLiquidity(amount0Out, r0);
        if (amount1Out >= r1) revert InsufficientLiquidity(amount1Out, r1);
        if (to == token0 || to == token1) revert InvalidRecipient(to);
        if (amount0Out > 0) IERC20(token0).safeTransfer(to, amount0Out);
        if (amount1Out > 0) IERC20(token1).safeTransfer(to, amount1Out);
        uint256 b0 = IERC20(token0).balanceOf(address(this));
        uint256 b1 = IERC20(token1).balanceOf(address(this));
        uint256 in0 = b0 > r0 - amount0Out ? b0 - (r0 - amount0Out) : 0;
        uint256 in1 = b1 > r1 - amount1Out ? b1 - (r1 - amount1Out) : 0;
        if (in0 == 0 && in1 == 0) revert ZeroAmount();
        if ((b0 * 1000 - in0 * 3) * (b1 * 1000 - in1 * 3) < r0 * r1 * 1_000_000) revert ConstantProductViolated();
        _update(b0, b1);
        emit Swap(msg.sender, in0, in1, amount0Out, amount1Out, to);
    }

    /// Reserves := balances (tokens sent by mistake become part of the pool).
    function sync() external nonReentrant {
        _update(IERC20(token0).balanceOf(address(this)), IERC20(token1).balanceOf(address(this)));
    }

    function _update(uint256 b0, uint256 b1) private {
        if (b0 > type(uint112).max || b1 > type(uint112).max) revert ReserveOverflow();
        _reserve0 = uint112(b0);
        _reserve1 = uint112(b1);
        emit Sync(uint112(b0), uint112(b1));
    }
}
