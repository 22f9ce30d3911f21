// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";

/// @title ZippiVaultProxy
/// @notice The address a vault lives at: OpenZeppelin's ERC-1967 proxy, unchanged, named so its
/// artifact ships with ours. Deploy it with a ZippiVault implementation and the calldata of
/// `initialize(...)`, which runs in the same transaction (nobody can initialize it first).
/// Upgrades are the vault's own (UUPS): owners' ScheduleUpgrade / ExecuteUpgrade actions.
contract ZippiVaultProxy is ERC1967Proxy {
    constructor(address implementation, bytes memory initData) payable ERC1967Proxy(implementation, initData) {}
}
