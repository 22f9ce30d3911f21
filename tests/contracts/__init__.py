"""ZippiVault and the demo contracts on the in-process EVM: every permission path, the rolling
cap, the oracle bound, owners' EIP-712 actions, a stateful model test, and trades through the
real Uniswap V2/V3 contracts."""
