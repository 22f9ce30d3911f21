// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {AggregatorV3Interface} from "./interfaces/AggregatorV3Interface.sol";
import {RollingWindow} from "./lib/RollingWindow.sol";

/// @title ZippiVault
/// @notice Holds one strategy's ERC20s and ETH. Owners act M-of-N through EIP-712 signatures
/// over an Action (kind, ABI-encoded params, nonce, deadline) for every admin change and for
/// withdrawals; agents may only swap allowlisted tokens through allowlisted targets (routers or
/// pools), within a per-trade cap and a rolling 24-hour cap per input token, with a minimum
/// output that the vault checks against what it received and that may not sit below the
/// oracle-implied output less the vault's maximum slippage. A guardian can pause agent swaps.
/// See contracts/README.md for the rules and their edge cases.
contract ZippiVault is EIP712, ReentrancyGuard {
    using SafeERC20 for IERC20;
    using EnumerableSet for EnumerableSet.AddressSet;
    using RollingWindow for RollingWindow.Window;

    /// What owners can do; the params of each kind are ABI-encoded as documented in README.md.
    enum ActionKind {
        SetThreshold, // (uint256 threshold)
        AddOwner, // (address owner)
        RemoveOwner, // (address owner)
        SetAgent, // (address agent, bool allowed)
        SetGuardian, // (address guardian), address(0) for none
        SetTarget, // (address target, bool allowed)
        SetToken, // (address token, bool allowed, uint256 maxTradeIn, uint256 dailyCapIn)
        SetPriceFeed, // (address token, address feed, uint256 maxAge), feed address(0) removes
        SetMaxSlippage, // (uint256 bps)
        Withdraw, // (address token, address to, uint256 amount), token address(0) for ETH
        Pause, // ()
        Unpause // ()
    }

    struct Action {
        uint8 kind;
        bytes params;
        uint256 nonce;
        uint256 deadline;
    }

    struct TokenConfig {
        bool allowed;
        uint8 decimals;
        uint256 maxTradeIn;
        uint256 dailyCapIn;
    }

    struct FeedConfig {
        AggregatorV3Interface feed;
        uint8 decimals;
        uint256 maxAge;
    }

    bytes32 public constant ACTION_TYPEHASH = keccak256("Action(uint8 kind,bytes params,uint256 nonce,uint256 deadline)");
    uint256 public constant MAX_OWNERS = 16;
    /// Slippage above this would let the oracle bound admit almost any price.
    uint256 public constant MAX_SLIPPAGE_BPS = 5000;
    /// Token and feed decimals above this are refused (the oracle arithmetic scales by 10**dec).
    uint8 public constant MAX_DECIMALS = 36;

    EnumerableSet.AddressSet private _owners;
    uint256 public threshold;
    uint256 public nonce;
    address public guardian;
    bool public paused;
    uint256 public maxSlippageBps;
    mapping(address => bool) public isAgent;
    mapping(address => bool) public isTarget;
    mapping(address => TokenConfig) private _tokens;
    mapping(address => FeedConfig) private _feeds;
    mapping(address => RollingWindow.Window) private _windows;

    // agents
    error NotAgent(address caller);
    error VaultPaused();
    error DeadlineExpired(uint256 deadline, uint256 blockTimestamp);
    error TargetNotAllowed(address target);
    error TokenNotAllowed(address token);
    error SameToken(address token);
    error ZeroAmount();
    error TradeCapExceeded(address token, uint256 amountIn, uint256 maxTradeIn);
    error NoPriceFeed(address token);
    error StalePrice(address token, uint256 updatedAt, uint256 maxAge);
    error InvalidPrice(address token, int256 answer);
    error MinOutBelowOracleBound(uint256 minOut, uint256 oracleBound);
    error SwapCallFailed(address target, bytes reason);
    error InsufficientOutput(uint256 received, uint256 minOut);
    error OverSpent(uint256 spent, uint256 amountIn);
    // guardian and owners
    error NotGuardian(address caller);
    error NotPaused();
    error ActionExpired(uint256 deadline, uint256 blockTimestamp);
    error InvalidNonce(uint256 expected, uint256 given);
    error InvalidSignature(uint256 index);
    error NotOwner(address signer);
    error SignersNotAscending(address previous, address signer);
    error BelowThreshold(uint256 signatures, uint256 threshold);
    error UnknownAction(uint8 kind);
    error InvalidThreshold(uint256 threshold, uint256 owners);
    error InvalidOwner(address owner);
    error OwnerExists(address owner);
    error OwnerMissing(address owner);
    error TooManyOwners();
    error InvalidTarget(address target);
    error InvalidToken(address token);
    error InvalidLimits(uint256 maxTradeIn, uint256 dailyCapIn);
    error InvalidFeed(address token, address feed);
    error SlippageTooHigh(uint256 bps);
    error InvalidRecipient(address to);
    error EthTransferFailed(address to, uint256 amount);

    event Swapped(
        address indexed agent,
        address indexed target,
        address indexed tokenIn,
        address tokenOut,
        uint256 amountIn,
        uint256 amountOut,
        uint256 minOut,
        uint256 oracleBound
    );
    event ActionExecuted(uint256 indexed nonce, uint8 indexed kind, bytes32 digest, uint256 signatures);
    event ThresholdChanged(uint256 threshold);
    event OwnerAdded(address indexed owner);
    event OwnerRemoved(address indexed owner);
    event AgentSet(address indexed agent, bool allowed);
    event GuardianSet(address indexed guardian);
    event TargetSet(address indexed target, bool allowed);
    event TokenSet(address indexed token, bool allowed, uint256 maxTradeIn, uint256 dailyCapIn);
    event PriceFeedSet(address indexed token, address indexed feed, uint256 maxAge);
    event MaxSlippageSet(uint256 bps);
    event Withdrawn(address indexed token, address indexed to, uint256 amount);
    /// `by` is the guardian, or the vault itself when owners paused by an action.
    event Paused(address indexed by);
    event Unpaused();
    event EthReceived(address indexed from, uint256 amount);

    constructor(address[] memory owners_, uint256 threshold_, address guardian_, uint256 maxSlippageBps_)
        EIP712("ZippiVault", "1")
    {
        for (uint256 i = 0; i < owners_.length; i++) _addOwner(owners_[i]);
        _setThreshold(threshold_);
        _setGuardian(guardian_);
        _setMaxSlippage(maxSlippageBps_);
    }

    receive() external payable {
        emit EthReceived(msg.sender, msg.value);
    }

    // ---------------------------------------------------------------- agents

    /// Swaps exactly up to amountIn of tokenIn for at least minOut of tokenOut by calling the
    /// allowlisted `target` with `data` (e.g. a router's swap whose recipient is this vault).
    /// The vault approves exactly amountIn to the target for the call and resets it to 0 after;
    /// what counts is measured by balances: tokenOut received >= minOut, tokenIn spent <= amountIn.
    function swapExactIn(
        address target,
        address tokenIn,
        address tokenOut,
        uint256 amountIn,
        uint256 minOut,
        uint256 deadline,
        bytes calldata data
    ) external nonReentrant returns (uint256 amountOut) {
        uint256 bound = _admitSwap(target, tokenIn, tokenOut, amountIn, minOut, deadline);
        uint256 spent;
        (spent, amountOut) = _callTarget(target, IERC20(tokenIn), IERC20(tokenOut), amountIn, data);
        if (spent > amountIn) revert OverSpent(spent, amountIn);
        if (amountOut < minOut) revert InsufficientOutput(amountOut, minOut);
        _windows[tokenIn].record(spent, block.timestamp);
        emit Swapped(msg.sender, target, tokenIn, tokenOut, spent, amountOut, minOut, bound);
    }

    /// Every rule an agent's swap must meet before the call; returns the oracle bound on minOut.
    function _admitSwap(
        address target,
        address tokenIn,
        address tokenOut,
        uint256 amountIn,
        uint256 minOut,
        uint256 deadline
    ) private returns (uint256 bound) {
        if (!isAgent[msg.sender]) revert NotAgent(msg.sender);
        if (paused) revert VaultPaused();
        if (block.timestamp > deadline) revert DeadlineExpired(deadline, block.timestamp);
        if (!isTarget[target] || target == address(this)) revert TargetNotAllowed(target);
        if (tokenIn == tokenOut) revert SameToken(tokenIn);
        TokenConfig storage cin = _tokens[tokenIn];
        if (!cin.allowed) revert TokenNotAllowed(tokenIn);
        if (!_tokens[tokenOut].allowed) revert TokenNotAllowed(tokenOut);
        if (amountIn == 0) revert ZeroAmount();
        if (amountIn > cin.maxTradeIn) revert TradeCapExceeded(tokenIn, amountIn, cin.maxTradeIn);
        _windows[tokenIn].admit(tokenIn, amountIn, cin.dailyCapIn, block.timestamp);
        (, bound) = oracleMinOut(tokenIn, tokenOut, amountIn);
        if (minOut == 0 || minOut < bound) revert MinOutBelowOracleBound(minOut, bound);
    }

    /// Approves exactly amountIn to target, calls it, resets the approval to 0, and measures by
    /// balances what left (tokenIn) and what arrived (tokenOut).
    function _callTarget(address target, IERC20 tokenIn, IERC20 tokenOut, uint256 amountIn, bytes calldata data)
        private
        returns (uint256 spent, uint256 received)
    {
        uint256 inBefore = tokenIn.balanceOf(address(this));
        uint256 outBefore = tokenOut.balanceOf(address(this));
        tokenIn.forceApprove(target, amountIn);
        (bool ok, bytes memory reason) = target.call(data);
        if (!ok) revert SwapCallFailed(target, reason);
        tokenIn.forceApprove(target, 0);
        uint256 inAfter = tokenIn.balanceOf(address(this));
        uint256 outAfter = tokenOut.balanceOf(address(this));
        spent = inBefore > inAfter ? inBefore - inAfter : 0;
        received = outAfter > outBefore ? outAfter - outBefore : 0;
    }

    /// The oracle-implied output of amountIn and the least minOut the vault accepts for it:
    /// implied = amountIn * priceIn / priceOut, scaled by both tokens' and feeds' decimals
    /// (rounded down); bound = implied * (10000 - maxSlippageBps) / 10000 (rounded down).
    /// Reverts if a feed is missing, stale (older than its maxAge) or not positive.
    function oracleMinOut(address tokenIn, address tokenOut, uint256 amountIn)
        public
        view
        returns (uint256 implied, uint256 bound)
    {
        (uint256 pIn, uint8 fdIn) = _price(tokenIn);
        (uint256 pOut, uint8 fdOut) = _price(tokenOut);
        // out = in * pIn * 10^(decOut + fdOut) / (pOut * 10^(decIn + fdIn)); one scaling factor
        // (checked: absurd decimals revert rather than wrap)
        int256 e = int256(uint256(_tokens[tokenOut].decimals) + fdOut) - int256(uint256(_tokens[tokenIn].decimals) + fdIn);
        if (e >= 0) implied = Math.mulDiv(amountIn, pIn * 10 ** uint256(e), pOut);
        else implied = Math.mulDiv(amountIn, pIn, pOut * 10 ** uint256(-e));
        bound = Math.mulDiv(implied, 10_000 - maxSlippageBps, 10_000);
    }

    function _price(address token) private view returns (uint256 price, uint8 feedDecimals) {
        FeedConfig storage f = _feeds[token];
        if (address(f.feed) == address(0)) revert NoPriceFeed(token);
        (, int256 answer,, uint256 updatedAt,) = f.feed.latestRoundData();
        if (answer <= 0) revert InvalidPrice(token, answer);
        // an answer exactly maxAge seconds old is still fresh; one second more is stale
        if (updatedAt > block.timestamp || block.timestamp - updatedAt > f.maxAge) {
            revert StalePrice(token, updatedAt, f.maxAge);
        }
        return (uint256(answer), f.decimals);
    }

    // ---------------------------------------------------------------- guardian

    /// Stops agent swaps at once. Owners lift it with an Unpause action.
    function pause() external {
        if (msg.sender != guardian) revert NotGuardian(msg.sender);
        _pause(msg.sender);
    }

    // ---------------------------------------------------------------- owners

    /// Runs an owners' action signed (EIP-712) by at least `threshold` distinct owners, the
    /// signatures ordered by strictly ascending signer address. Anyone may submit it.
    function execute(Action calldata action, bytes[] calldata signatures) external nonReentrant {
        if (block.timestamp > action.deadline) revert ActionExpired(action.deadline, block.timestamp);
        if (action.nonce != nonce) revert InvalidNonce(nonce, action.nonce);
        bytes32 digest = actionDigest(action);
        address previous = address(0);
        for (uint256 i = 0; i < signatures.length; i++) {
            (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, signatures[i]);
            if (err != ECDSA.RecoverError.NoError) revert InvalidSignature(i);
            if (!_owners.contains(signer)) revert NotOwner(signer);
            if (signer <= previous) revert SignersNotAscending(previous, signer);
            previous = signer;
        }
        if (signatures.length < threshold) revert BelowThreshold(signatures.length, threshold);
        nonce = action.nonce + 1;
        _apply(action.kind, action.params);
        emit ActionExecuted(action.nonce, action.kind, digest, signatures.length);
    }

    /// The EIP-712 digest the owners sign for `action`.
    function actionDigest(Action calldata action) public view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(abi.encode(ACTION_TYPEHASH, action.kind, keccak256(action.params), action.nonce, action.deadline))
        );
    }

    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    function _apply(uint8 kind, bytes calldata p) private {
        if (kind > uint8(type(ActionKind).max)) revert UnknownAction(kind);
        ActionKind k = ActionKind(kind);
        if (k == ActionKind.SetThreshold) {
            _setThreshold(abi.decode(p, (uint256)));
        } else if (k == ActionKind.AddOwner) {
            _addOwner(abi.decode(p, (address)));
        } else if (k == ActionKind.RemoveOwner) {
            address owner = abi.decode(p, (address));
            if (!_owners.remove(owner)) revert OwnerMissing(owner);
            if (_owners.length() < threshold) revert InvalidThreshold(threshold, _owners.length());
            emit OwnerRemoved(owner);
        } else if (k == ActionKind.SetAgent) {
            (address agent, bool allowed) = abi.decode(p, (address, bool));
            isAgent[agent] = allowed;
            emit AgentSet(agent, allowed);
        } else if (k == ActionKind.SetGuardian) {
            _setGuardian(abi.decode(p, (address)));
        } else if (k == ActionKind.SetTarget) {
            (address target, bool allowed) = abi.decode(p, (address, bool));
            if (allowed && (target == address(0) || target == address(this) || _tokens[target].allowed)) {
                revert InvalidTarget(target);
            }
            isTarget[target] = allowed;
            emit TargetSet(target, allowed);
        } else if (k == ActionKind.SetToken) {
            (address token, bool allowed, uint256 maxTradeIn, uint256 dailyCapIn) =
                abi.decode(p, (address, bool, uint256, uint256));
            _setToken(token, allowed, maxTradeIn, dailyCapIn);
        } else if (k == ActionKind.SetPriceFeed) {
            (address token, address feed, uint256 maxAge) = abi.decode(p, (address, address, uint256));
            _setFeed(token, feed, maxAge);
        } else if (k == ActionKind.SetMaxSlippage) {
            _setMaxSlippage(abi.decode(p, (uint256)));
        } else if (k == ActionKind.Withdraw) {
            (address token, address to, uint256 amount) = abi.decode(p, (address, address, uint256));
            _withdraw(token, to, amount);
        } else if (k == ActionKind.Pause) {
            _pause(address(this)); // "by" the vault: the owners, whoever submitted it
        } else {
            if (!paused) revert NotPaused();
            paused = false;
            emit Unpaused();
        }
    }

    function _setThreshold(uint256 t) private {
        if (t == 0 || t > _owners.length()) revert InvalidThreshold(t, _owners.length());
        threshold = t;
        emit ThresholdChanged(t);
    }

    function _addOwner(address owner) private {
        if (owner == address(0) || owner == address(this)) revert InvalidOwner(owner);
        if (_owners.length() >= MAX_OWNERS) revert TooManyOwners();
        if (!_owners.add(owner)) revert OwnerExists(owner);
        emit OwnerAdded(owner);
    }

    function _setGuardian(address g) private {
        guardian = g;
        emit GuardianSet(g);
    }

    function _setToken(address token, bool allowed, uint256 maxTradeIn, uint256 dailyCapIn) private {
        if (allowed) {
            if (token == address(0) || token == address(this) || isTarget[token]) revert InvalidToken(token);
            if (maxTradeIn > dailyCapIn || maxTradeIn > RollingWindow.MAX_AMOUNT) revert InvalidLimits(maxTradeIn, dailyCapIn);
            uint8 dec = IERC20Metadata(token).decimals();
            if (dec > MAX_DECIMALS) revert InvalidToken(token);
            _tokens[token] = TokenConfig(true, dec, maxTradeIn, dailyCapIn);
        } else {
            // the rolling window of a delisted token is kept: relisting it does not reset the cap
            delete _tokens[token];
            maxTradeIn = 0;
            dailyCapIn = 0;
        }
        emit TokenSet(token, allowed, maxTradeIn, dailyCapIn);
    }

    function _setFeed(address token, address feed, uint256 maxAge) private {
        if (feed == address(0)) {
            delete _feeds[token];
        } else {
            if (maxAge == 0) revert InvalidFeed(token, feed);
            uint8 dec = AggregatorV3Interface(feed).decimals();
            if (dec > MAX_DECIMALS) revert InvalidFeed(token, feed);
            _feeds[token] = FeedConfig(AggregatorV3Interface(feed), dec, maxAge);
        }
        emit PriceFeedSet(token, feed, maxAge);
    }

    function _setMaxSlippage(uint256 bps) private {
        if (bps > MAX_SLIPPAGE_BPS) revert SlippageTooHigh(bps);
        maxSlippageBps = bps;
        emit MaxSlippageSet(bps);
    }

    function _withdraw(address token, address to, uint256 amount) private {
        if (to == address(0) || to == address(this)) revert InvalidRecipient(to);
        if (token == address(0)) {
            (bool ok,) = to.call{value: amount}("");
            if (!ok) revert EthTransferFailed(to, amount);
        } else {
            IERC20(token).safeTransfer(to, amount);
        }
        emit Withdrawn(token, to, amount);
    }

    function _pause(address by) private {
        paused = true;
        emit Paused(by);
    }

    // ---------------------------------------------------------------- views

    function owners() external view returns (address[] memory) {
        return _owners.values();
    }

    function isOwner(address a) external view returns (bool) {
        return _owners.contains(a);
    }

    function tokenConfig(address token) external view returns (TokenConfig memory) {
        return _tokens[token];
    }

    function priceFeed(address token) external view returns (FeedConfig memory) {
        return _feeds[token];
    }

    /// The spends of `token` that still count against its rolling cap at `timestamp` (a time at
    /// or after the latest spend): their sum and how many there are.
    function spentInWindow(address token, uint256 timestamp) external view returns (uint256 sum, uint256 entries) {
        return _windows[token].live(timestamp);
    }

    /// Of the daily cap, what an agent could still spend now (ignoring the per-trade cap).
    function remainingDailyCap(address token) external view returns (uint256) {
        (uint256 sum,) = _windows[token].live(block.timestamp);
        uint256 cap = _tokens[token].dailyCapIn;
        return cap > sum ? cap - sum : 0;
    }
}
