// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ZippiVault} from "../src/ZippiVault.sol";

/// @title ZippiVaultV2Mock
/// @notice A later vault version for the upgrade tests only: everything of ZippiVault, one
/// appended state variable set by a reinitializer, and a new function.
contract ZippiVaultV2Mock is ZippiVault {
    uint256 public v2Value;

    event V2Initialized(uint256 value);

    function initializeV2(uint256 value) external reinitializer(2) {
        v2Value = value;
        emit V2Initialized(value);
    }

    function version() external pure override returns (uint256) {
        return 2;
    }

    /// Something version 1 could not do, reading version 1's state.
    function ownersAndValue() external view returns (uint256 owners_, uint256 value) {
        return (this.owners().length, v2Value);
    }
}
