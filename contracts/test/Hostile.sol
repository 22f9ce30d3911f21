// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// The hostile contracts of the vault's adversarial tests (tests/contracts/test_vault_stateful.py
/// and test_vault_revert_paths.py): what a compromised agent key deploys and points the vault at,
/// or what careless owners list. Tests only; never shipped.

/// @title HostileTarget
/// @notice A swap target run by the attacker: `run` makes each call of a script as this contract
/// (pull the vault's approved tokens, pay or refund from its own stock, re-enter the vault, pause
/// it, ...), bubbling the first failure unless the call may fail, then returns `ret` raw (a
/// lying "false", garbage or nothing: the vault must ignore it). It has no receive function, so
/// ETH sent to it fails.
contract HostileTarget {
    struct Op {
        address to;
        bytes data;
        bool mayFail;
    }

    event OpFailed(uint256 index, bytes reason);

    function run(Op[] calldata ops, bytes calldata ret) external {
        for (uint256 i = 0; i < ops.length; i++) {
            (bool ok, bytes memory reason) = ops[i].to.call(ops[i].data);
            if (!ok) {
                if (!ops[i].mayFail) {
                    assembly ("memory-safe") {
                        revert(add(reason, 0x20), mload(reason))
                    }
                }
                emit OpFailed(i, reason);
            }
        }
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            calldatacopy(ptr, ret.offset, ret.length)
            return(ptr, ret.length)
        }
    }
}

/// @title HostileToken
/// @notice An ERC20 with quirks that apply to one `victim` account, set by anyone (the attacker
/// owns it; careless owners list it): a tax debited from the victim on top of every amount it
/// sends (paid to `taxSink`), `false` returned (and nothing done) on the victim's approve,
/// transfer and transferFrom, and a hook called (its revert bubbled) on every move out of the
/// victim. Anyone may mint. Balances and allowances are honest.
contract HostileToken {
    string public name;
    string public symbol;
    uint8 public immutable decimals;
    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    address public victim;
    uint256 public taxBps;
    address public taxSink;
    bool public returnFalse;
    address public hookTarget;
    bytes public hookData;

    error InsufficientBalance(address account, uint256 balance, uint256 needed);
    error InsufficientAllowance(address spender, uint256 allowance, uint256 needed);

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    constructor(string memory name_, string memory symbol_, uint8 decimals_) {
        (name, symbol, decimals) = (name_, symbol_, decimals_);
    }

    function mint(address to, uint256 amount) external {
        totalSupply += amount;
        balanceOf[to] += amount;
        emit Transfer(address(0), to, amount);
    }

    function setQuirks(address victim_, uint256 taxBps_, address taxSink_, bool returnFalse_) external {
        (victim, taxBps, taxSink, returnFalse) = (victim_, taxBps_, taxSink_, returnFalse_);
    }

    function setHook(address target, bytes calldata data) external {
        (hookTarget, hookData) = (target, data);
    }

    function approve(address spender, uint256 amount) external returns (bool) {
        if (returnFalse && msg.sender == victim) return false;
        allowance[msg.sender][spender] = amount;
        emit Approval(msg.sender, spender, amount);
        return true;
    }

    function transfer(address to, uint256 amount) external returns (bool) {
        if (returnFalse && msg.sender == victim) return false;
        _move(msg.sender, to, amount);
        return true;
    }

    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        if (returnFalse && from == victim) return false;
        uint256 allowed = allowance[from][msg.sender];
        if (allowed < amount) revert InsufficientAllowance(msg.sender, allowed, amount);
        allowance[from][msg.sender] = allowed - amount;
        _move(from, to, amount);
        return true;
    }

    function _move(address from, address to, uint256 amount) private {
        uint256 tax = from == victim ? amount * taxBps / 10_000 : 0;
        uint256 balance = balanceOf[from];
        if (balance < amount + tax) revert InsufficientBalance(from, balance, amount + tax);
        balanceOf[from] = balance - amount - tax;
        balanceOf[to] += amount;
        emit Transfer(from, to, amount);
        if (tax > 0) {
            balanceOf[taxSink] += tax;
            emit Transfer(from, taxSink, tax);
        }
        if (from == victim && hookTarget != address(0)) {
            (bool ok, bytes memory reason) = hookTarget.call(hookData);
            if (!ok) {
                assembly ("memory-safe") {
                    revert(add(reason, 0x20), mload(reason))
                }
            }
        }
    }
}

/// @title HostilePool
/// @notice A pool that lies to ZippiRouteExecutor: reserves of its choosing (getReserves), V2 and
/// ZippiPair swaps that pay nothing, and a V3 swap that calls back for `owed` (of token0 or 1)
/// and reports `reported` as what it took; each swap may first call `hook` (e.g. re-enter the
/// executor), its revert bubbled.
contract HostilePool {
    uint256 public reserve0;
    uint256 public reserve1;
    int256 public owed;
    int256 public reported;
    address public hookTarget;
    bytes public hookData;

    function setReserves(uint256 r0, uint256 r1) external {
        (reserve0, reserve1) = (r0, r1);
    }

    function setV3(int256 owed_, int256 reported_) external {
        (owed, reported) = (owed_, reported_);
    }

    function setHook(address target, bytes calldata data) external {
        (hookTarget, hookData) = (target, data);
    }

    function getReserves() external view returns (uint256, uint256, uint32) {
        return (reserve0, reserve1, 0);
    }

    function swap(uint256, uint256, address, bytes calldata) external {
        _hook();
    }

    function swap(uint256, uint256, address) external {
        _hook();
    }

    /// Uniswap V3's signature: the callback asks for `owed` of the input side, the return says
    /// `reported` was taken and nothing paid.
    function swap(address, bool zeroForOne, int256, uint160, bytes calldata) external returns (int256, int256) {
        _hook();
        (int256 d0, int256 d1) = zeroForOne ? (owed, int256(0)) : (int256(0), owed);
        IV3Callback(msg.sender).uniswapV3SwapCallback(d0, d1, "");
        return zeroForOne ? (reported, int256(0)) : (int256(0), reported);
    }

    function _hook() private {
        if (hookTarget == address(0)) return;
        (bool ok, bytes memory reason) = hookTarget.call(hookData);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(reason, 0x20), mload(reason))
            }
        }
    }
}

interface IV3Callback {
    function uniswapV3SwapCallback(int256 amount0Delta, int256 amount1Delta, bytes calldata data) external;
}

/// @title WrongUUIDImplementation
/// @notice Claims to be a UUPS implementation for another proxy slot: an upgrade to it must fail.
contract WrongUUIDImplementation {
    function proxiableUUID() external pure returns (bytes32) {
        return bytes32(uint256(1));
    }
}
