// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

interface IUniswapV2PairLike {
    function swap(uint256 amount0Out, uint256 amount1Out, address to, bytes calldata data) external;
}

interface IZippiPairLike {
    function swap(uint256 amount0Out, uint256 amount1Out, address to) external;
}

interface IUniswapV3PoolSwap {
    function swap(address recipient, bool zeroForOne, int256 amountSpecified, uint160 sqrtPriceLimitX96, bytes calldata data)
        external
        returns (int256 amount0, int256 amount1);
}

/// @title ZippiRouteExecutor
/// @notice Runs an exact-input route atomically, calling the pools directly: one or more paths
/// (a split) run one after another, each of one or more legs (multi-hop) through Uniswap V2
/// pairs, Uniswap V3 pools or ZippiPairs. The input is what the caller transferred to this
/// contract just before (the vault pushes exactly its amountIn: no approval is ever given); the
/// output of every path's last leg is paid straight to the caller (msg.sender), and there is no
/// recipient parameter. Whatever input a route does not use goes back to the caller in the same
/// call, so the executor holds nothing between calls and the caller's balance checks
/// (spent <= amountIn, received >= minOut) see the whole effect.
///
/// Each path starts with its amountIn (the route kernel's quote of that path); each leg's input
/// is what the previous leg really delivered. A V2-style leg asks the pair for
/// getAmountOut(input, reserves of that moment, fee) as UniswapV2Library computes it, so on the
/// state the kernel quoted from the amounts are exactly the kernel's; a V3 leg swaps exact input
/// with no price limit and must take the whole input (PartialFill otherwise). Between legs the
/// tokens go straight to the next V2-style pair, or to this contract for a V3 pool, which it pays
/// in uniswapV3SwapCallback: only the pool it is calling at that moment may call back, for at most
/// that leg's input, in that leg's input token.
///
/// Anyone may call it: it spends only what it holds, which between transactions is nothing
/// (tokens sent to it by mistake are the next caller's). Fee-on-transfer tokens are not supported
/// (a pair would see less than the amount it is asked to price).
///
/// Route encoding (`execute(bytes route)`), packed big-endian, no padding:
///
///     route := nPaths:uint8 path{nPaths}
///     path  := nLegs:uint8 amountIn:uint128 leg{nLegs}
///     leg   := flags:uint8 feeBps:uint16 pool:address tokenIn:address      (43 bytes)
///     flags := kind (bits 0-6: 0 Uniswap V2 pair, 1 Uniswap V3 pool, 2 ZippiPair) | zeroForOne << 7
///
/// Every path's first leg must take the same token (the route's input). feeBps is the V2-style
/// pair's fee on input (30 for Uniswap V2 and ZippiPair); a V3 pool knows its own (feeBps 0).
contract ZippiRouteExecutor {
    using SafeERC20 for IERC20;

    uint8 internal constant KIND_UNISWAP_V2 = 0;
    uint8 internal constant KIND_UNISWAP_V3 = 1;
    uint8 internal constant KIND_ZIPPI_PAIR = 2;
    uint256 internal constant LEG_BYTES = 43;
    uint256 internal constant PATH_HEADER_BYTES = 17;
    // TickMath's bounds: a swap with no price limit walks to just inside them
    uint160 internal constant MIN_SQRT_RATIO = 4295128739;
    uint160 internal constant MAX_SQRT_RATIO = 1461446703485210103287273052203988822378723970342;

    bool private transient _locked;
    address private transient _callbackPool; // the V3 pool being called: the only one that may call back
    address private transient _callbackToken;
    uint256 private transient _callbackMax;

    error Reentered();
    error MalformedRoute(uint256 offset);
    error MixedInputTokens(address expected, address given);
    error UnknownLegKind(uint8 kind);
    error InvalidFee(uint256 feeBps);
    error AmountTooLarge(uint256 amount);
    error UnexpectedCallback(address caller);
    error OverPaid(uint256 owed, uint256 amountIn);
    error PartialFill(address pool, uint256 amountIn, uint256 taken);

    /// Runs `route` (encoding above) on the tokens transferred to this contract; every path's
    /// output goes to the caller, and unused input back to it. Returns the total output.
    function execute(bytes calldata route) external returns (uint256 amountOut) {
        if (_locked) revert Reentered();
        _locked = true;
        (uint256 nPaths, address tokenIn) = _checkLayout(route);
        uint256 off = 1;
        for (uint256 p = 0; p < nPaths; p++) {
            uint256 nLegs = uint8(route[off]);
            uint256 amount = uint128(bytes16(route[off + 1:off + PATH_HEADER_BYTES]));
            off += PATH_HEADER_BYTES;
            amountOut += _runPath(route, off, nLegs, amount);
            off += nLegs * LEG_BYTES;
        }
        uint256 left = IERC20(tokenIn).balanceOf(address(this));
        if (left > 0) IERC20(tokenIn).safeTransfer(msg.sender, left);
        _locked = false;
    }

    /// The number of paths and the route's input token, once the route's lengths are checked
    /// to add up exactly (at least one path, each of at least one leg) and every path to start
    /// from the same token: nothing runs on a malformed route.
    function _checkLayout(bytes calldata route) private pure returns (uint256 nPaths, address tokenIn) {
        if (route.length == 0) revert MalformedRoute(0);
        nPaths = uint8(route[0]);
        if (nPaths == 0) revert MalformedRoute(0);
        uint256 off = 1;
        for (uint256 p = 0; p < nPaths; p++) {
            if (off + PATH_HEADER_BYTES > route.length) revert MalformedRoute(off);
            uint256 nLegs = uint8(route[off]);
            off += PATH_HEADER_BYTES;
            if (nLegs == 0 || off + nLegs * LEG_BYTES > route.length) revert MalformedRoute(off);
            address first = _legTokenIn(route, off);
            if (p == 0) tokenIn = first;
            else if (first != tokenIn) revert MixedInputTokens(tokenIn, first);
            off += nLegs * LEG_BYTES;
        }
        if (off != route.length) revert MalformedRoute(off);
    }

    /// The legs of one path, from `off`; returns what its last leg paid the caller. Each leg
    /// pays the caller if it is the last, else the next leg's pair directly, or this contract
    /// when the next leg is a V3 pool (which it pays in the callback).
    function _runPath(bytes calldata route, uint256 off, uint256 nLegs, uint256 amount) private returns (uint256) {
        for (uint256 k = 0; k < nLegs; k++) {
            address recipient = k + 1 < nLegs ? _payee(route, off + LEG_BYTES) : msg.sender;
            (uint8 kind, bool zeroForOne, uint256 feeBps, address pool, address tokenIn) = _leg(route, off);
            if (kind == KIND_UNISWAP_V3) {
                amount = _v3Swap(pool, tokenIn, zeroForOne, amount, recipient);
            } else if (kind == KIND_UNISWAP_V2 || kind == KIND_ZIPPI_PAIR) {
                // the first leg is paid from this contract; a later one was paid by the leg before
                if (k == 0) IERC20(tokenIn).safeTransfer(pool, amount);
                amount = _v2Swap(kind, pool, zeroForOne, feeBps, amount, recipient);
            } else {
                revert UnknownLegKind(kind);
            }
            off += LEG_BYTES;
        }
        return amount;
    }

    function _leg(bytes calldata route, uint256 off)
        private
        pure
        returns (uint8 kind, bool zeroForOne, uint256 feeBps, address pool, address tokenIn)
    {
        uint256 word;
        uint256 word2;
        assembly ("memory-safe") {
            word := calldataload(add(route.offset, off))
            word2 := calldataload(add(route.offset, add(off, 23)))
        }
        uint8 flags = uint8(word >> 248);
        kind = flags & 0x7f;
        zeroForOne = flags & 0x80 != 0;
        feeBps = (word >> 232) & 0xffff;
        pool = address(uint160(word >> 72));
        tokenIn = address(uint160(word2 >> 96));
    }

    /// Where a leg before the one at `next` pays: straight to that leg's pair, or to this
    /// contract when it is a V3 pool (paid in the callback).
    function _payee(bytes calldata route, uint256 next) private view returns (address) {
        (uint8 kind,,, address pool,) = _leg(route, next);
        return kind == KIND_UNISWAP_V3 ? address(this) : pool;
    }

    function _legTokenIn(bytes calldata route, uint256 off) private pure returns (address tokenIn) {
        (,,,, tokenIn) = _leg(route, off);
    }

    /// UniswapV2Library.getAmountOut at the pair's reserves now (fee 30 bps: exactly its
    /// 997/1000), then the pair's swap paying `recipient`.
    function _v2Swap(uint8 kind, address pair, bool zeroForOne, uint256 feeBps, uint256 amountIn, address recipient)
        private
        returns (uint256 amountOut)
    {
        if (feeBps >= 10_000) revert InvalidFee(feeBps);
        uint256 r0;
        uint256 r1;
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, 0x0902f1ac00000000000000000000000000000000000000000000000000000000) // getReserves()
            if iszero(staticcall(gas(), pair, ptr, 4, ptr, 0x40)) {
                returndatacopy(ptr, 0, returndatasize())
                revert(ptr, returndatasize())
            }
            if lt(returndatasize(), 0x40) { revert(0, 0) }
            r0 := mload(ptr)
            r1 := mload(add(ptr, 0x20))
        }
        (uint256 reserveIn, uint256 reserveOut) = zeroForOne ? (r0, r1) : (r1, r0);
        uint256 withFee = amountIn * (10_000 - feeBps);
        amountOut = withFee * reserveOut / (reserveIn * 10_000 + withFee);
        (uint256 out0, uint256 out1) = zeroForOne ? (uint256(0), amountOut) : (amountOut, uint256(0));
        if (kind == KIND_UNISWAP_V2) IUniswapV2PairLike(pair).swap(out0, out1, recipient, "");
        else IZippiPairLike(pair).swap(out0, out1, recipient);
    }

    /// Exact input into a V3 pool with no price limit; the pool must take all of it.
    function _v3Swap(address pool, address tokenIn, bool zeroForOne, uint256 amountIn, address recipient)
        private
        returns (uint256 amountOut)
    {
        if (amountIn > uint256(type(int256).max)) revert AmountTooLarge(amountIn);
        (_callbackPool, _callbackToken, _callbackMax) = (pool, tokenIn, amountIn);
        (int256 amount0, int256 amount1) = IUniswapV3PoolSwap(pool).swap(
            recipient, zeroForOne, int256(amountIn), zeroForOne ? MIN_SQRT_RATIO + 1 : MAX_SQRT_RATIO - 1, ""
        );
        _callbackPool = address(0);
        (int256 taken, int256 paid) = zeroForOne ? (amount0, amount1) : (amount1, amount0);
        if (taken < 0 || uint256(taken) != amountIn) revert PartialFill(pool, amountIn, uint256(taken < 0 ? int256(0) : taken));
        amountOut = uint256(-paid);
    }

    /// Pays the V3 pool being called (and only it, once per swap) what it is owed, in the leg's
    /// input token and at most the leg's input.
    function uniswapV3SwapCallback(int256 amount0Delta, int256 amount1Delta, bytes calldata) external {
        address pool = _callbackPool;
        if (msg.sender != pool || pool == address(0)) revert UnexpectedCallback(msg.sender);
        _callbackPool = address(0);
        uint256 owed = uint256(amount0Delta > 0 ? amount0Delta : amount1Delta);
        if (owed > _callbackMax) revert OverPaid(owed, _callbackMax);
        IERC20(_callbackToken).safeTransfer(msg.sender, owed);
    }
}
