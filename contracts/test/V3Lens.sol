// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

interface IV3PoolView {
    function slot0()
        external
        view
        returns (
            uint160 sqrtPriceX96,
            int24 tick,
            uint16 observationIndex,
            uint16 observationCardinality,
            uint16 observationCardinalityNext,
            uint8 feeProtocol,
            bool unlocked
        );
    function liquidity() external view returns (uint128);
    function tickSpacing() external view returns (int24);
    function ticks(int24 tick)
        external
        view
        returns (
            uint128 liquidityGross,
            int128 liquidityNet,
            uint256 feeGrowthOutside0X128,
            uint256 feeGrowthOutside1X128,
            int56 tickCumulativeOutside,
            uint160 secondsPerLiquidityOutsideX128,
            uint32 secondsOutside,
            bool initialized
        );
    function tickBitmap(int16 wordPosition) external view returns (uint256);
}

interface IBalanceOf {
    function balanceOf(address owner) external view returns (uint256);
}

/// @title V3Lens
/// @notice Reads a Uniswap V3 pool's swap state in one eth_call: slot0 and liquidity, and every
/// initialized tick (found in the tick bitmap, with its liquidityNet) of the words asked for.
contract V3Lens {
    struct TickInfo {
        int24 tick;
        uint128 liquidityGross;
        int128 liquidityNet;
        bool initialized;
    }

    function state(address pool)
        external
        view
        returns (uint160 sqrtPriceX96, int24 tick, uint128 liquidity, bool unlocked)
    {
        (sqrtPriceX96, tick,,,,, unlocked) = IV3PoolView(pool).slot0();
        liquidity = IV3PoolView(pool).liquidity();
    }

    /// The ticks(t) entries of the given ticks.
    function tickInfos(address pool, int24[] calldata ticks_) external view returns (TickInfo[] memory infos) {
        infos = new TickInfo[](ticks_.length);
        for (uint256 i = 0; i < ticks_.length; i++) infos[i] = _info(pool, ticks_[i]);
    }

    /// Every tick whose bit is set in the given bitmap words, ascending within each word, with
    /// its ticks(t) entry. Words are int16 positions of compressed ticks (tick / spacing) >> 8.
    function initializedTicks(address pool, int16[] calldata words) external view returns (TickInfo[] memory infos) {
        int24 spacing = IV3PoolView(pool).tickSpacing();
        uint256[] memory bitmaps = new uint256[](words.length);
        uint256 count = 0;
        for (uint256 w = 0; w < words.length; w++) {
            uint256 bits = IV3PoolView(pool).tickBitmap(words[w]);
            bitmaps[w] = bits;
            for (; bits != 0; bits &= bits - 1) count++;
        }
        infos = new TickInfo[](count);
        uint256 k = 0;
        for (uint256 w = 0; w < words.length; w++) {
            uint256 bits = bitmaps[w];
            for (uint256 bit = 0; bits != 0; bit++) {
                if (bits & (uint256(1) << bit) == 0) continue;
                bits &= ~(uint256(1) << bit);
                int24 compressed = int24(words[w]) * 256 + int24(int256(bit));
                infos[k++] = _info(pool, compressed * spacing);
            }
        }
    }

    /// balances[i][j] = tokens[i].balanceOf(holders[j]).
    function balances(address[] calldata tokens, address[] calldata holders)
        external
        view
        returns (uint256[][] memory out)
    {
        out = new uint256[][](tokens.length);
        for (uint256 i = 0; i < tokens.length; i++) {
            out[i] = new uint256[](holders.length);
            for (uint256 j = 0; j < holders.length; j++) out[i][j] = IBalanceOf(tokens[i]).balanceOf(holders[j]);
        }
    }

    function _info(address pool, int24 tick) private view returns (TickInfo memory info) {
        info.tick = tick;
        (info.liquidityGross, info.liquidityNet,,,,,, info.initialized) = IV3PoolView(pool).ticks(tick);
    }
}
