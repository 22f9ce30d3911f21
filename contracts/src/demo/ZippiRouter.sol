// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ZippiPair} from "./ZippiPair.sol";

/// @title ZippiRouter
/// @notice Factory and router of ZippiPairs for the embedded demo. Its swap entry point has the
/// signature of Uniswap V2's Router02 (`swapExactTokensForTokens(amountIn, amountOutMin, path,
/// to, deadline)`), so the vault and the Python side encode one call for both.
contract ZippiRouter {
    using SafeERC20 for IERC20;

    mapping(address => mapping(address => address)) public getPair;
    address[] public allPairs;

    error IdenticalTokens(address token);
    error PairExists(address pair);
    error NoPair(address tokenA, address tokenB);
    error Expired(uint256 deadline, uint256 blockTimestamp);
    error InvalidPath();
    error InsufficientOutputAmount(uint256 amountOut, uint256 amountOutMin);
    error InsufficientLiquidityMinted(uint256 liquidity, uint256 minLiquidity);
    error ZeroAmount();

    event PairCreated(address indexed token0, address indexed token1, address pair, uint256 count);

    modifier ensure(uint256 deadline) {
        if (block.timestamp > deadline) revert Expired(deadline, block.timestamp);
        _;
    }

    function allPairsLength() external view returns (uint256) {
        return allPairs.length;
    }

    function createPair(address tokenA, address tokenB) external returns (address pair) {
        if (tokenA == tokenB) revert IdenticalTokens(tokenA);
        if (getPair[tokenA][tokenB] != address(0)) revert PairExists(getPair[tokenA][tokenB]);
        pair = address(new ZippiPair(tokenA, tokenB));
        getPair[tokenA][tokenB] = pair;
        getPair[tokenB][tokenA] = pair;
        allPairs.push(pair);
        (address t0, address t1) = tokenA < tokenB ? (tokenA, tokenB) : (tokenB, tokenA);
        emit PairCreated(t0, t1, pair, allPairs.length);
    }

    /// Deposits exactly amountA and amountB (the caller picks the ratio) for at least
    /// minLiquidity shares.
    function addLiquidity(
        address tokenA,
        address tokenB,
        uint256 amountA,
        uint256 amountB,
        uint256 minLiquidity,
        address to,
        uint256 deadline
    ) external ensure(deadline) returns (uint256 liquidity) {
        address pair = _pair(tokenA, tokenB);
        IERC20(tokenA).safeTransferFrom(msg.sender, pair, amountA);
        IERC20(tokenB).safeTransferFrom(msg.sender, pair, amountB);
        liquidity = ZippiPair(pair).mint(to);
        if (liquidity < minLiquidity) revert InsufficientLiquidityMinted(liquidity, minLiquidity);
    }

    function getAmountOut(uint256 amountIn, uint256 reserveIn, uint256 reserveOut) public pure returns (uint256) {
        if (amountIn == 0) revert ZeroAmount();
        uint256 inWithFee = amountIn * 997;
        return inWithFee * reserveOut / (reserveIn * 1000 + inWithFee);
    }

    function getAmountsOut(uint256 amountIn, address[] calldata path) public view returns (uint256[] memory amounts) {
        if (path.length < 2) revert InvalidPath();
        amounts = new uint256[](path.length);
        amounts[0] = amountIn;
        for (uint256 i = 0; i + 1 < path.length; i++) {
            (uint256 rIn, uint256 rOut) = _reserves(path[i], path[i + 1]);
            amounts[i + 1] = getAmountOut(amounts[i], rIn, rOut);
        }
    }

    function swapExactTokensForTokens(
        uint256 amountIn,
        uint256 amountOutMin,
        address[] calldata path,
        address to,
        uint256 deadline
    ) external ensure(deadline) returns (uint256[] memory amounts) {
        amounts = getAmountsOut(amountIn, path);
        uint256 out = amounts[amounts.length - 1];
        if (out < amountOutMin) revert InsufficientOutputAmount(out, amountOutMin);
        IERC20(path[0]).safeTransferFrom(msg.sender, _pair(path[0], path[1]), amountIn);
        for (uint256 i = 0; i + 1 < path.length; i++) {
            address recipient = i + 2 < path.length ? _pair(path[i + 1], path[i + 2]) : to;
            _swapHop(path[i], path[i + 1], amounts[i + 1], recipient);
        }
    }

    function _swapHop(address input, address output, uint256 amountOut, address recipient) private {
        ZippiPair pair = ZippiPair(_pair(input, output));
        (uint256 out0, uint256 out1) = input == pair.token0() ? (uint256(0), amountOut) : (amountOut, uint256(0));
        pair.swap(out0, out1, recipient);
    }

    function _pair(address tokenA, address tokenB) private view returns (address pair) {
        pair = getPair[tokenA][tokenB];
        if (pair == address(0)) revert NoPair(tokenA, tokenB);
    }

    function _reserves(address tokenIn, address tokenOut) private view returns (uint256 rIn, uint256 rOut) {
        ZippiPair pair = ZippiPair(_pair(tokenIn, tokenOut));
        (uint256 r0, uint256 r1) = pair.getReserves();
        (rIn, rOut) = tokenIn == pair.token0() ? (r0, r1) : (r1, r0);
    }
}
