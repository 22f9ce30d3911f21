// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts/proxy/utils/UUPSUpgradeable.sol";
import {ERC1967Utils} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Utils.sol";
import {IERC1822Proxiable} from "@openzeppelin/contracts/interfaces/draft-IERC1822.sol";
import {AggregatorV3Interface} from "./interfaces/AggregatorV3Interface.sol";
import {RollingWindow} from "./lib/RollingWindow.sol";

/// @title ZippiVault
/// @notice Holds one strategy's ERC20s and ETH. Owners act M-of-N through EIP-712 signatures
/// over an Action (kind, ABI-encoded params, nonce, deadline) for every admin change, for
/// withdrawals and for upgrades; agents may only swap allowlisted tokens through allowlisted
/// targets (routers or pools, which get an exact approval, or route executors, which get the
/// exact input pushed to them), within a per-trade cap and a rolling 24-hour cap per input token,
/// with a minimum output that the vault checks against what it received and that may not sit
/// below the oracle-implied output less the vault's maximum slippage. A guardian can pause agent
/// swaps.
///
/// Deployed behind an ERC-1967 proxy (ZippiVaultProxy) and upgraded in place (UUPS), only by an
/// owners' action executed after a timelock. The storage layout is plain (declaration order)
/// and checked against contracts/layout/ZippiVault.json: later versions may only append.
/// See contracts/README.md for the rules and their edge cases.
contract ZippiVault is Initializable, UUPSUpgradeable, EIP712, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using EnumerableSet for EnumerableSet.AddressSet;
    using RollingWindow for RollingWindow.Window;

    /// What owners can do; the params of each kind are ABI-encoded as documented in README.md.
    /// New kinds are only ever appended (off-chain signers depend on the numbers).
    enum ActionKind {
        SetThreshold, // 0 (uint256 threshold)
        AddOwner, // 1 (address owner)
        RemoveOwner, // 2 (address owner)
        SetAgent, // 3 (address agent, bool allowed)
        SetGuardian, // 4 (address guardian), address(0) for none
        SetTarget, // 5 (address target, bool allowed): approve-mode target (router, pool)
        SetToken, // 6 (address token, bool allowed, uint256 maxTradeIn, uint256 dailyCapIn)
        SetPriceFeed, // 7 (address token, address feed, uint256 maxAge), feed address(0) removes
        SetMaxSlippage, // 8 (uint256 bps)
        Withdraw, // 9 (address token, address to, uint256 amount), token address(0) for ETH
        Pause, // 10 ()
        Unpause, // 11 ()
        SetExecutor, // 12 (address executor, bool allowed): push-mode target (route executor)
        ScheduleUpgrade, // 13 (address implementation, bytes data)
        CancelUpgrade, // 14 ()
        ExecuteUpgrade, // 15 (address implementation, bytes data), as scheduled, after the timelock
        SetUpgradeDelay // 16 (uint256 seconds)
    }

    struct Action {
        uint8 kind;
        bytes params;
        uint256 nonce;
        uint256 deadline;
    }

    /// One agent swap of a batch (swapBatch); the fields are swapExactIn's.
    struct Swap {
        address target;
        address tokenIn;
        address tokenOut;
        uint256 amountIn;
        uint256 minOut;
        bytes data;
    }

    /// A token's listing and its price feed, packed into one slot (what a swap reads of both
    /// its tokens). Delisting keeps the feed.
    struct Token {
        AggregatorV3Interface feed;
        uint32 maxAge;
        uint8 feedDecimals;
        uint8 decimals;
        bool allowed;
    }

    /// The input-side caps, one slot.
    struct Limits {
        uint128 maxTradeIn;
        uint128 dailyCapIn;
    }

    /// tokenConfig(token)'s answer.
    struct TokenConfig {
        bool allowed;
        uint8 decimals;
        uint256 maxTradeIn;
        uint256 dailyCapIn;
    }

    /// priceFeed(token)'s answer.
    struct FeedConfig {
        AggregatorV3Interface feed;
        uint8 decimals;
        uint256 maxAge;
    }

    /// What _admitSwap hands on: the target's mode, the rolling window as admit left it (for
    /// record) and the oracle bound on minOut.
    struct Admitted {
        uint8 mode;
        uint256 bound;
        RollingWindow.Header window;
    }

    /// A price read once per transaction (a batch reads each token's feed once).
    struct Price {
        address token;
        uint256 answer;
        uint8 feedDecimals;
    }

    bytes32 public constant ACTION_TYPEHASH = keccak256("Action(uint8 kind,bytes params,uint256 nonce,uint256 deadline)");
    uint256 public constant MAX_OWNERS = 16;
    /// Slippage above this would let the oracle bound admit almost any price.
    uint256 public constant MAX_SLIPPAGE_BPS = 5000;
    /// Token and feed decimals above this are refused (the oracle arithmetic scales by 10**dec).
    uint8 public constant MAX_DECIMALS = 36;
    /// Bounds of the upgrade timelock.
    uint256 public constant MIN_UPGRADE_DELAY = 1 hours;
    uint256 public constant MAX_UPGRADE_DELAY = 30 days;

    uint8 private constant MODE_APPROVE = 1; // routers and pools: exact approval, reset after
    uint8 private constant MODE_PUSH = 2; // route executors: the exact input is transferred

    // ---- storage, version 1. Append only: contracts/layout/ZippiVault.json is checked in CI.
    // (EIP712's two fallback strings come first, slots 0 and 1; Initializable and the
    // reentrancy guard keep theirs in namespaced and transient slots.)
    EnumerableSet.AddressSet private _owners;
    uint256 public threshold;
    uint256 public nonce;
    address public guardian;
    bool public paused;
    uint16 public maxSlippageBps;
    mapping(address => bool) public isAgent;
    mapping(address => uint8) private _targetMode;
    mapping(address => Token) private _tokens;
    mapping(address => Limits) private _limits;
    mapping(address => RollingWindow.Window) private _windows;
    uint32 private _upgradeDelay;
    uint32 private _nextUpgradeDelay;
    uint40 private _nextUpgradeDelayAt;
    address private _pendingImplementation;
    uint40 private _upgradeEta;
    bytes32 private _pendingUpgradeHash;

    // agents
    error NotAgent(address caller);
    error VaultPaused();
    error DeadlineExpired(uint256 deadline, uint256 blockTimestamp);
    error TargetNotAllowed(address target);
    error TokenNotAllowed(address token);
    error SameToken(address token);
    error ZeroAmount();
    error EmptyBatch();
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
    // upgrades
    error InvalidUpgradeDelay(uint256 delay);
    error InvalidImplementation(address implementation);
    error NoUpgradeScheduled();
    error UpgradeMismatch(address implementation, bytes32 dataHash);
    error UpgradeTooEarly(uint256 eta, uint256 blockTimestamp);
    error UpgradeOnlyByOwnersAction();

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
    event ExecutorSet(address indexed executor, bool allowed);
    event TokenSet(address indexed token, bool allowed, uint256 maxTradeIn, uint256 dailyCapIn);
    event PriceFeedSet(address indexed token, address indexed feed, uint256 maxAge);
    event MaxSlippageSet(uint256 bps);
    event Withdrawn(address indexed token, address indexed to, uint256 amount);
    /// `by` is the guardian, or the vault itself when owners paused by an action.
    event Paused(address indexed by);
    event Unpaused();
    event EthReceived(address indexed from, uint256 amount);
    event WindowPrimed(address indexed token, uint256 slots);
    event UpgradeDelaySet(uint256 delay, uint256 effectiveAt);
    event UpgradeScheduled(address indexed implementation, bytes32 dataHash, uint256 eta);
    event UpgradeCancelled(address indexed implementation);
    event UpgradeExecuted(address indexed implementation, bytes32 dataHash);

    /// The implementation itself is never initialized: only proxies are.
    constructor() EIP712("ZippiVault", "1") {
        _disableInitializers();
    }

    /// Sets up a new vault (through the proxy's constructor, in the same transaction).
    function initialize(
        address[] calldata owners_,
        uint256 threshold_,
        address guardian_,
        uint256 maxSlippageBps_,
        uint256 upgradeDelay_
    ) external initializer {
        for (uint256 i = 0; i < owners_.length; i++) _addOwner(owners_[i]);
        _setThreshold(threshold_);
        _setGuardian(guardian_);
        _setMaxSlippage(maxSlippageBps_);
        if (upgradeDelay_ < MIN_UPGRADE_DELAY || upgradeDelay_ > MAX_UPGRADE_DELAY) revert InvalidUpgradeDelay(upgradeDelay_);
        _upgradeDelay = uint32(upgradeDelay_);
        emit UpgradeDelaySet(upgradeDelay_, block.timestamp);
    }

    /// The implementation's version (a later implementation returns a larger number).
    function version() external pure virtual returns (uint256) {
        return 1;
    }

    receive() external payable {
        emit EthReceived(msg.sender, msg.value);
    }

    // ---------------------------------------------------------------- agents

    /// Swaps up to amountIn of tokenIn for at least minOut of tokenOut by calling the
    /// allowlisted `target` with `data` (a router's swap whose recipient is this vault, or a
    /// route executor's plan). A router or pool target gets an approval of exactly amountIn for
    /// the call, reset to 0 after; an executor gets exactly amountIn transferred and must send
    /// back what it does not use. What counts is measured by balances: tokenOut received >=
    /// minOut, tokenIn spent <= amountIn.
    function swapExactIn(
        address target,
        address tokenIn,
        address tokenOut,
        uint256 amountIn,
        uint256 minOut,
        uint256 deadline,
        bytes calldata data
    ) external nonReentrant returns (uint256 amountOut) {
        _admitCaller(deadline);
        Price[] memory prices = new Price[](2);
        amountOut = _swap(target, tokenIn, tokenOut, amountIn, minOut, data, prices);
    }

    /// Several swaps in one transaction, in order, each under every rule of swapExactIn (caps,
    /// the rolling window including the batch's earlier swaps, the oracle bound, the balance
    /// checks) and each with its own Swapped event. The caller, pause and deadline are checked
    /// once; each token's feed is read once per batch. Any failing swap reverts the batch.
    function swapBatch(Swap[] calldata swaps, uint256 deadline)
        external
        nonReentrant
        returns (uint256[] memory amountsOut)
    {
        _admitCaller(deadline);
        if (swaps.length == 0) revert EmptyBatch();
        Price[] memory prices = new Price[](2 * swaps.length);
        amountsOut = new uint256[](swaps.length);
        for (uint256 i = 0; i < swaps.length; i++) {
            Swap calldata s = swaps[i];
            amountsOut[i] = _swap(s.target, s.tokenIn, s.tokenOut, s.amountIn, s.minOut, s.data, prices);
        }
    }

    function _admitCaller(uint256 deadline) private view {
        if (!isAgent[msg.sender]) revert NotAgent(msg.sender);
        if (paused) revert VaultPaused();
        if (block.timestamp > deadline) revert DeadlineExpired(deadline, block.timestamp);
    }

    /// One swap: every rule before the call, the call, the balance checks, the window record.
    function _swap(
        address target,
        address tokenIn,
        address tokenOut,
        uint256 amountIn,
        uint256 minOut,
        bytes calldata data,
        Price[] memory prices
    ) private returns (uint256 amountOut) {
        Admitted memory a = _admitSwap(target, tokenIn, tokenOut, amountIn, minOut, prices);
        uint256 spent;
        (spent, amountOut) = _callTarget(a.mode, target, tokenIn, tokenOut, amountIn, data);
        if (spent > amountIn) revert OverSpent(spent, amountIn);
        if (amountOut < minOut) revert InsufficientOutput(amountOut, minOut);
        _windows[tokenIn].record(a.window, spent, block.timestamp);
        emit Swapped(msg.sender, target, tokenIn, tokenOut, spent, amountOut, minOut, a.bound);
    }

    /// Every rule a swap must meet before the call, in README order.
    function _admitSwap(
        address target,
        address tokenIn,
        address tokenOut,
        uint256 amountIn,
        uint256 minOut,
        Price[] memory prices
    ) private view returns (Admitted memory a) {
        if (paused) revert VaultPaused(); // a batch's earlier swap cannot have paused it either
        a.mode = _targetMode[target];
        if (a.mode == 0 || target == address(this)) revert TargetNotAllowed(target);
        if (tokenIn == tokenOut) revert SameToken(tokenIn);
        Token memory cin = _tokens[tokenIn];
        if (!cin.allowed) revert TokenNotAllowed(tokenIn);
        Token memory cout = _tokens[tokenOut];
        if (!cout.allowed) revert TokenNotAllowed(tokenOut);
        if (amountIn == 0) revert ZeroAmount();
        Limits memory lim = _limits[tokenIn];
        if (amountIn > lim.maxTradeIn) revert TradeCapExceeded(tokenIn, amountIn, lim.maxTradeIn);
        a.window = _windows[tokenIn].admit(tokenIn, amountIn, lim.dailyCapIn, block.timestamp);
        a.bound = _bound(tokenIn, cin, tokenOut, cout, amountIn, prices);
        if (minOut == 0 || minOut < a.bound) revert MinOutBelowOracleBound(minOut, a.bound);
    }

    /// Hands amountIn to the target (exact approval, or an exact transfer to an executor),
    /// calls it, resets an approval to 0, and measures by balances what left (tokenIn) and what
    /// arrived (tokenOut).
    function _callTarget(
        uint8 mode,
        address target,
        address tokenIn,
        address tokenOut,
        uint256 amountIn,
        bytes calldata data
    ) private returns (uint256 spent, uint256 received) {
        uint256 inBefore = _balanceOf(tokenIn);
        uint256 outBefore = _balanceOf(tokenOut);
        if (mode == MODE_PUSH) IERC20(tokenIn).safeTransfer(target, amountIn);
        else IERC20(tokenIn).forceApprove(target, amountIn);
        (bool ok, bytes memory reason) = target.call(data);
        if (!ok) revert SwapCallFailed(target, reason);
        if (mode != MODE_PUSH) IERC20(tokenIn).forceApprove(target, 0);
        uint256 inAfter = _balanceOf(tokenIn);
        uint256 outAfter = _balanceOf(tokenOut);
        spent = inBefore > inAfter ? inBefore - inAfter : 0;
        received = outAfter > outBefore ? outAfter - outBefore : 0;
    }

    /// This vault's balance of `token` (a plain staticcall; a token that answers with less than
    /// a word, or reverts, reverts the swap).
    function _balanceOf(address token) private view returns (uint256 amount) {
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, 0x70a0823100000000000000000000000000000000000000000000000000000000)
            mstore(add(ptr, 4), address())
            if iszero(staticcall(gas(), token, ptr, 0x24, ptr, 0x20)) {
                returndatacopy(ptr, 0, returndatasize())
                revert(ptr, returndatasize())
            }
            if lt(returndatasize(), 0x20) { revert(0, 0) }
            amount := mload(ptr)
        }
    }

    /// The oracle bound of a swap, reading each token's feed at most once per transaction.
    function _bound(
        address tokenIn,
        Token memory cin,
        address tokenOut,
        Token memory cout,
        uint256 amountIn,
        Price[] memory prices
    ) private view returns (uint256 bound) {
        Price memory pIn = _cachedPrice(tokenIn, cin, prices);
        Price memory pOut = _cachedPrice(tokenOut, cout, prices);
        (, bound) = _oracleMinOut(amountIn, pIn.answer, pIn.feedDecimals, cin.decimals, pOut.answer, pOut.feedDecimals, cout.decimals);
    }

    function _cachedPrice(address token, Token memory c, Price[] memory prices) private view returns (Price memory p) {
        uint256 i = 0;
        for (; i < prices.length && prices[i].token != address(0); i++) {
            if (prices[i].token == token) return prices[i];
        }
        p = Price(token, _price(token, c), c.feedDecimals);
        prices[i] = p; // there is always room: two tokens per swap
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
        Token memory cin = _tokens[tokenIn];
        Token memory cout = _tokens[tokenOut];
        uint256 pIn = _price(tokenIn, cin);
        uint256 pOut = _price(tokenOut, cout);
        return _oracleMinOut(amountIn, pIn, cin.feedDecimals, cin.decimals, pOut, cout.feedDecimals, cout.decimals);
    }

    function _oracleMinOut(
        uint256 amountIn,
        uint256 pIn,
        uint8 fdIn,
        uint8 decIn,
        uint256 pOut,
        uint8 fdOut,
        uint8 decOut
    ) private view returns (uint256 implied, uint256 bound) {
        // out = in * pIn * 10^(decOut + fdOut) / (pOut * 10^(decIn + fdIn)); one scaling factor
        // (checked: absurd decimals revert rather than wrap)
        int256 e = int256(uint256(decOut) + fdOut) - int256(uint256(decIn) + fdIn);
        if (e >= 0) implied = Math.mulDiv(amountIn, pIn * 10 ** uint256(e), pOut);
        else implied = Math.mulDiv(amountIn, pIn, pOut * 10 ** uint256(-e));
        bound = Math.mulDiv(implied, 10_000 - maxSlippageBps, 10_000);
    }

    /// latestRoundData's answer, refused if there is no feed, it is not positive, or it is
    /// older than maxAge (exactly maxAge seconds old is still fresh) or from the future.
    function _price(address token, Token memory c) private view returns (uint256) {
        address feed = address(c.feed);
        if (feed == address(0)) revert NoPriceFeed(token);
        int256 answer;
        uint256 updatedAt;
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, 0xfeaf968c00000000000000000000000000000000000000000000000000000000) // latestRoundData()
            if iszero(staticcall(gas(), feed, ptr, 4, ptr, 0xa0)) {
                returndatacopy(ptr, 0, returndatasize())
                revert(ptr, returndatasize())
            }
            if lt(returndatasize(), 0xa0) { revert(0, 0) }
            answer := mload(add(ptr, 0x20))
            updatedAt := mload(add(ptr, 0x60))
        }
        if (answer <= 0) revert InvalidPrice(token, answer);
        if (updatedAt > block.timestamp || block.timestamp - updatedAt > c.maxAge) {
            revert StalePrice(token, updatedAt, c.maxAge);
        }
        return uint256(answer);
    }

    /// Writes the rolling window's marker into the slots of `token`'s window (its header and 64
    /// ring entries) that were never written, so that no later swap pays for a fresh storage
    /// slot (17,100 gas more each time, on a token's first spend and its first 64 seconds of
    /// spends). Anyone may pay for it; it changes no rule.
    function primeWindow(address token) external returns (uint256 slots) {
        slots = _windows[token].prime();
        emit WindowPrimed(token, slots);
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
        } else if (k == ActionKind.SetTarget || k == ActionKind.SetExecutor) {
            (address target, bool allowed) = abi.decode(p, (address, bool));
            _setTarget(target, allowed, k == ActionKind.SetExecutor ? MODE_PUSH : MODE_APPROVE);
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
        } else if (k == ActionKind.Unpause) {
            if (!paused) revert NotPaused();
            paused = false;
            emit Unpaused();
        } else if (k == ActionKind.ScheduleUpgrade) {
            (address impl, bytes memory data) = abi.decode(p, (address, bytes));
            _scheduleUpgrade(impl, keccak256(data));
        } else if (k == ActionKind.CancelUpgrade) {
            address impl = _pendingImplementation;
            if (impl == address(0)) revert NoUpgradeScheduled();
            _clearUpgrade();
            emit UpgradeCancelled(impl);
        } else if (k == ActionKind.ExecuteUpgrade) {
            (address impl, bytes memory data) = abi.decode(p, (address, bytes));
            _executeUpgrade(impl, data);
        } else {
            _setUpgradeDelay(abi.decode(p, (uint256)));
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

    /// Routers and pools (approve mode) and route executors (push mode) share the rules: never
    /// the zero address, the vault or a listed token, so a call can never go to a token.
    function _setTarget(address target, bool allowed, uint8 mode) private {
        if (allowed && (target == address(0) || target == address(this) || _tokens[target].allowed)) {
            revert InvalidTarget(target);
        }
        _targetMode[target] = allowed ? mode : 0;
        if (mode == MODE_PUSH) emit ExecutorSet(target, allowed);
        else emit TargetSet(target, allowed);
    }

    function _setToken(address token, bool allowed, uint256 maxTradeIn, uint256 dailyCapIn) private {
        Token storage t = _tokens[token];
        if (allowed) {
            if (token == address(0) || token == address(this) || _targetMode[token] != 0) revert InvalidToken(token);
            if (maxTradeIn > dailyCapIn || dailyCapIn > RollingWindow.MAX_AMOUNT) revert InvalidLimits(maxTradeIn, dailyCapIn);
            uint8 dec = IERC20Metadata(token).decimals();
            if (dec > MAX_DECIMALS) revert InvalidToken(token);
            (t.allowed, t.decimals) = (true, dec);
        } else {
            // the feed stays; the rolling window of a delisted token is kept too: relisting it
            // does not reset the cap
            (t.allowed, t.decimals) = (false, 0);
            maxTradeIn = 0;
            dailyCapIn = 0;
        }
        _limits[token] = Limits(uint128(maxTradeIn), uint128(dailyCapIn));
        emit TokenSet(token, allowed, maxTradeIn, dailyCapIn);
    }

    function _setFeed(address token, address feed, uint256 maxAge) private {
        Token storage t = _tokens[token];
        if (feed == address(0)) {
            (t.feed, t.maxAge, t.feedDecimals) = (AggregatorV3Interface(address(0)), 0, 0);
        } else {
            if (maxAge == 0 || maxAge > type(uint32).max) revert InvalidFeed(token, feed);
            uint8 dec = AggregatorV3Interface(feed).decimals();
            if (dec > MAX_DECIMALS) revert InvalidFeed(token, feed);
            (t.feed, t.maxAge, t.feedDecimals) = (AggregatorV3Interface(feed), uint32(maxAge), dec);
        }
        emit PriceFeedSet(token, feed, maxAge);
    }

    function _setMaxSlippage(uint256 bps) private {
        if (bps > MAX_SLIPPAGE_BPS) revert SlippageTooHigh(bps);
        maxSlippageBps = uint16(bps);
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

    // ---------------------------------------------------------------- upgrades

    /// The timelock in force now: a lowered delay takes effect only once the delay it replaced
    /// has run (so no upgrade can be scheduled sooner than the old delay allowed).
    function upgradeDelay() public view returns (uint256) {
        uint256 when = _nextUpgradeDelayAt;
        return when != 0 && block.timestamp >= when ? _nextUpgradeDelay : _upgradeDelay;
    }

    /// The scheduled upgrade: implementation (zero if none), keccak256 of its call data, and the
    /// earliest time an ExecuteUpgrade action may run it.
    function pendingUpgrade() external view returns (address impl, bytes32 dataHash, uint256 eta) {
        return (_pendingImplementation, _pendingUpgradeHash, _upgradeEta);
    }

    /// The implementation the proxy runs now.
    function implementation() external view returns (address) {
        return ERC1967Utils.getImplementation();
    }

    function _setUpgradeDelay(uint256 delay) private {
        if (delay < MIN_UPGRADE_DELAY || delay > MAX_UPGRADE_DELAY) revert InvalidUpgradeDelay(delay);
        uint256 current = upgradeDelay();
        uint256 effectiveAt = block.timestamp;
        if (delay >= current) {
            // longer (or the same): at once, and any lowering still pending is dropped
            (_upgradeDelay, _nextUpgradeDelay, _nextUpgradeDelayAt) = (uint32(delay), 0, 0);
        } else {
            // shorter: only once the current delay has run
            effectiveAt = block.timestamp + current;
            (_upgradeDelay, _nextUpgradeDelay, _nextUpgradeDelayAt) = (uint32(current), uint32(delay), uint40(effectiveAt));
        }
        emit UpgradeDelaySet(delay, effectiveAt);
    }

    /// Records `implementation` (a UUPS implementation: it must have code) to run no earlier
    /// than now + the upgrade delay; a new schedule replaces any earlier one.
    function _scheduleUpgrade(address implementation_, bytes32 dataHash) private {
        if (implementation_.code.length == 0) revert InvalidImplementation(implementation_);
        uint256 eta = block.timestamp + upgradeDelay();
        (_pendingImplementation, _upgradeEta, _pendingUpgradeHash) = (implementation_, uint40(eta), dataHash);
        emit UpgradeScheduled(implementation_, dataHash, eta);
    }

    /// Runs the scheduled upgrade once its time has come: the proxy points at the new
    /// implementation (ERC-1967 `Upgraded` event), then `data`, if any, is delegate-called on
    /// it (e.g. a reinitializer). Storage stays where it is: the new implementation must keep
    /// this layout and only append (checked in CI for this repository's versions).
    function _executeUpgrade(address implementation_, bytes memory data) private {
        if (_pendingImplementation == address(0)) revert NoUpgradeScheduled();
        bytes32 dataHash = keccak256(data);
        if (implementation_ != _pendingImplementation || dataHash != _pendingUpgradeHash) {
            revert UpgradeMismatch(implementation_, dataHash);
        }
        if (block.timestamp < _upgradeEta) revert UpgradeTooEarly(_upgradeEta, block.timestamp);
        _clearUpgrade();
        // as UUPSUpgradeable's own path: the new implementation must be UUPS for this proxy slot
        try IERC1822Proxiable(implementation_).proxiableUUID() returns (bytes32 slot) {
            if (slot != ERC1967Utils.IMPLEMENTATION_SLOT) revert UUPSUnsupportedProxiableUUID(slot);
        } catch {
            revert InvalidImplementation(implementation_);
        }
        ERC1967Utils.upgradeToAndCall(implementation_, data);
        emit UpgradeExecuted(implementation_, dataHash);
    }

    function _clearUpgrade() private {
        (_pendingImplementation, _upgradeEta, _pendingUpgradeHash) = (address(0), 0, bytes32(0));
    }

    /// UUPSUpgradeable's public upgradeToAndCall is closed: upgrades run only through the
    /// owners' ScheduleUpgrade / ExecuteUpgrade actions.
    function _authorizeUpgrade(address) internal pure override {
        revert UpgradeOnlyByOwnersAction();
    }

    // ---------------------------------------------------------------- views

    function owners() external view returns (address[] memory) {
        return _owners.values();
    }

    function isOwner(address a) external view returns (bool) {
        return _owners.contains(a);
    }

    /// Whether `target` may be called by agents (as a router or pool, or as an executor).
    function isTarget(address target) external view returns (bool) {
        return _targetMode[target] != 0;
    }

    /// Whether `target` is a route executor: it gets the input pushed instead of approved.
    function isExecutor(address target) external view returns (bool) {
        return _targetMode[target] == MODE_PUSH;
    }

    function tokenConfig(address token) external view returns (TokenConfig memory) {
        Token memory t = _tokens[token];
        Limits memory l = _limits[token];
        return TokenConfig(t.allowed, t.decimals, l.maxTradeIn, l.dailyCapIn);
    }

    function priceFeed(address token) external view returns (FeedConfig memory) {
        Token memory t = _tokens[token];
        return FeedConfig(t.feed, t.feedDecimals, t.maxAge);
    }

    /// The spends of `token` that still count against its rolling cap at `timestamp` (a time at
    /// or after the latest spend): their sum and how many entries (seconds with spends) there are.
    function spentInWindow(address token, uint256 timestamp) external view returns (uint256 sum, uint256 entries) {
        return _windows[token].live(timestamp);
    }

    /// Of the daily cap, what an agent could still spend now (ignoring the per-trade cap).
    function remainingDailyCap(address token) external view returns (uint256) {
        (uint256 sum,) = _windows[token].live(block.timestamp);
        uint256 cap = _limits[token].dailyCapIn;
        return cap > sum ? cap - sum : 0;
    }
}
