// Only the local node is used (tests start `npx hardhat node --hostname 127.0.0.1`); contracts are
// compiled by solc-js through scripts/, not by hardhat, so no compiler download is ever needed.
module.exports = {
  networks: {
    hardhat: { chainId: 31337, allowUnlimitedContractSize: false },
  },
};
