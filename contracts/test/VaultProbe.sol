// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

interface IVaultViews {
    struct TokenConfig {
        bool allowed;
        uint8 decimals;
        uint256 maxTradeIn;
        uint256 dailyCapIn;
    }

    struct FeedConfig {
        address feed;
        uint8 decimals;
        uint256 maxAge;
    }

    function paused() external view returns (bool);
    function threshold() external view returns (uint256);
    function nonce() external view returns (uint256);
    function guardian() external view returns (address);
    function maxSlippageBps() external view returns (uint16);
    function owners() external view returns (address[] memory);
    function upgradeDelay() external view returns (uint256);
    function pendingUpgrade() external view returns (address, bytes32, uint256);
    function implementation() external view returns (address);
    function isAgent(address) external view returns (bool);
    function isTarget(address) external view returns (bool);
    function isExecutor(address) external view returns (bool);
    function tokenConfig(address) external view returns (TokenConfig memory);
    function priceFeed(address) external view returns (FeedConfig memory);
    function spentInWindow(address, uint256) external view returns (uint256, uint256);
}

interface IBalances {
    function balanceOf(address) external view returns (uint256);
    function allowance(address, address) external view returns (uint256);
}

interface IFeed {
    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80);
}

interface IPair {
    function getReserves() external view returns (uint112, uint112);
    function token0() external view returns (address);
}

/// @title VaultProbe
/// @notice Reads, in one eth_call, everything the adversarial tests check after every
/// transaction: the vault's configuration, each token's listing, caps, rolling window (at
/// `when`), feed and answer, the vault's allowance to every account, the roles of some, the
/// holders' balances of every token, and the pairs' reserves. Tests only.
contract VaultProbe {
    uint256 public constant VAULT_WORDS = 12;
    uint256 public constant TOKEN_WORDS = 11;
    uint256 public constant ROLE_WORDS = 2;

    struct Query {
        address vault;
        address[] tokens;
        address[] accounts; // the vault's allowance to each
        address[] roles; // whether each is a target (and which kind), an agent
        address[] holders; // balances
        address[] pairs;
        uint256 when;
    }

    /// [vault words, token words, account words, balances, allowances, reserves]; balances and
    /// allowances token by token.
    function inspect(Query calldata q) external view returns (uint256[][] memory out) {
        out = new uint256[][](6);
        out[0] = _vault(q.vault);
        out[1] = new uint256[](q.tokens.length * TOKEN_WORDS);
        for (uint256 i = 0; i < q.tokens.length; i++) _token(q.vault, q.tokens[i], q.when, out[1], i * TOKEN_WORDS);
        out[2] = _roles(q.vault, q.roles);
        (out[3], out[4]) = _holdings(q.vault, q.tokens, q.accounts, q.holders);
        out[5] = _reserves(q.pairs);
    }

    /// Only the rolling windows at `when` (the rest of `inspect` does not depend on the time).
    function windows(address vault, address[] calldata tokens, uint256 when)
        external
        view
        returns (uint256[] memory sums, uint256[] memory entries)
    {
        sums = new uint256[](tokens.length);
        entries = new uint256[](tokens.length);
        for (uint256 i = 0; i < tokens.length; i++) {
            (sums[i], entries[i]) = IVaultViews(vault).spentInWindow(tokens[i], when);
        }
    }

    function _roles(address vault, address[] calldata roles) private view returns (uint256[] memory w) {
        IVaultViews v = IVaultViews(vault);
        w = new uint256[](roles.length * ROLE_WORDS);
        for (uint256 j = 0; j < roles.length; j++) {
            address a = roles[j];
            w[j * ROLE_WORDS] = v.isExecutor(a) ? 2 : v.isTarget(a) ? 1 : 0;
            w[j * ROLE_WORDS + 1] = v.isAgent(a) ? 1 : 0;
        }
    }

    /// Balances of each holder, and the vault's allowance to each account, token by token.
    function _holdings(address vault, address[] calldata tokens, address[] calldata accounts, address[] calldata holders)
        private
        view
        returns (uint256[] memory balances, uint256[] memory allowances)
    {
        (uint256 n, uint256 h) = (accounts.length, holders.length);
        balances = new uint256[](tokens.length * h);
        allowances = new uint256[](tokens.length * n);
        for (uint256 i = 0; i < tokens.length; i++) {
            IBalances t = IBalances(tokens[i]);
            for (uint256 j = 0; j < h; j++) balances[i * h + j] = t.balanceOf(holders[j]);
            for (uint256 j = 0; j < n; j++) allowances[i * n + j] = t.allowance(vault, accounts[j]);
        }
    }

    function _reserves(address[] calldata pairs) private view returns (uint256[] memory w) {
        w = new uint256[](pairs.length * 3);
        for (uint256 k = 0; k < pairs.length; k++) {
            (uint112 r0, uint112 r1) = IPair(pairs[k]).getReserves();
            (w[3 * k], w[3 * k + 1]) = (r0, r1);
            w[3 * k + 2] = uint160(IPair(pairs[k]).token0());
        }
    }

    function _vault(address vault) private view returns (uint256[] memory w) {
        IVaultViews v = IVaultViews(vault);
        w = new uint256[](VAULT_WORDS);
        w[0] = v.paused() ? 1 : 0;
        w[1] = v.threshold();
        w[2] = v.nonce();
        w[3] = uint160(v.guardian());
        w[4] = v.maxSlippageBps();
        w[5] = uint256(keccak256(abi.encode(v.owners())));
        w[6] = v.upgradeDelay();
        (address impl, bytes32 dataHash, uint256 eta) = v.pendingUpgrade();
        (w[7], w[8], w[9]) = (uint160(impl), uint256(dataHash), eta);
        w[10] = uint160(v.implementation());
        w[11] = vault.balance;
    }

    function _token(address vault, address token, uint256 when, uint256[] memory w, uint256 o) private view {
        IVaultViews v = IVaultViews(vault);
        IVaultViews.TokenConfig memory c = v.tokenConfig(token);
        (w[o], w[o + 1], w[o + 2], w[o + 3]) = (c.allowed ? 1 : 0, c.decimals, c.maxTradeIn, c.dailyCapIn);
        (w[o + 4], w[o + 5]) = v.spentInWindow(token, when);
        IVaultViews.FeedConfig memory f = v.priceFeed(token);
        (w[o + 6], w[o + 7], w[o + 8]) = (uint160(f.feed), f.decimals, f.maxAge);
        if (f.feed != address(0)) {
            (, int256 answer,, uint256 updatedAt,) = IFeed(f.feed).latestRoundData();
            (w[o + 9], w[o + 10]) = (uint256(answer), updatedAt);
        }
    }
}
