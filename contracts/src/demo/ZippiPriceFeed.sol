// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {AggregatorV3Interface} from "../interfaces/AggregatorV3Interface.sol";

/// @title ZippiPriceFeed
/// @notice A Chainlink-AggregatorV3-style price feed whose owner posts the answers: each update
/// opens a new round (ids 1, 2, 3, ...) stamped with the block time, or with a time the owner
/// gives (to model a stale feed). Reads behave as Chainlink's: latestRoundData and
/// getRoundData return (roundId, answer, startedAt, updatedAt, answeredInRound).
contract ZippiPriceFeed is AggregatorV3Interface, Ownable {
    struct Round {
        int256 answer;
        uint64 startedAt;
        uint64 updatedAt;
    }

    /// The version of this contract's interface, as Chainlink aggregators report theirs.
    uint256 public constant override version = 4;

    uint8 public immutable override decimals;
    string public override description;
    uint80 public latestRound;
    mapping(uint80 => Round) private _rounds;

    error NoDataPresent(uint80 roundId);
    error FutureTimestamp(uint256 updatedAt, uint256 blockTimestamp);

    event AnswerUpdated(int256 indexed current, uint256 indexed roundId, uint256 updatedAt);
    event NewRound(uint256 indexed roundId, address indexed startedBy, uint256 startedAt);

    constructor(uint8 decimals_, string memory description_, int256 initialAnswer) Ownable(msg.sender) {
        decimals = decimals_;
        description = description_;
        _post(initialAnswer, block.timestamp);
    }

    /// A new round with this answer, updated now.
    function updateAnswer(int256 answer) external onlyOwner returns (uint80 roundId) {
        return _post(answer, block.timestamp);
    }

    /// A new round with this answer, updated at `updatedAt` (not in the future): a feed that
    /// stopped updating, as the tests of staleness need.
    function updateAnswerAt(int256 answer, uint256 updatedAt) external onlyOwner returns (uint80 roundId) {
        if (updatedAt > block.timestamp) revert FutureTimestamp(updatedAt, block.timestamp);
        return _post(answer, updatedAt);
    }

    function getRoundData(uint80 roundId)
        public
        view
        override
        returns (uint80, int256, uint256, uint256, uint80)
    {
        Round memory r = _rounds[roundId];
        if (r.updatedAt == 0) revert NoDataPresent(roundId);
        return (roundId, r.answer, r.startedAt, r.updatedAt, roundId);
    }

    function latestRoundData() external view override returns (uint80, int256, uint256, uint256, uint80) {
        return getRoundData(latestRound);
    }

    function latestAnswer() external view returns (int256) {
        return _rounds[latestRound].answer;
    }

    function _post(int256 answer, uint256 updatedAt) private returns (uint80 roundId) {
        roundId = latestRound + 1;
        latestRound = roundId;
        // a round stamped 0 would read as "no data": the genesis-time edge case is clamped to 1
        uint64 stamp = uint64(updatedAt == 0 ? 1 : updatedAt);
        _rounds[roundId] = Round(answer, stamp, stamp);
        emit NewRound(roundId, msg.sender, stamp);
        emit AnswerUpdated(answer, roundId, stamp);
    }
}
