// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

/// @title gmFLOCK: FLOCK locked for 0–365 days, the stake token of tasks and delegation pools.
/// @notice A lock of n FLOCK for d days mints m = n·(1 + 2.19·(clamp(d,30,365) − 30)/365) gmFLOCK
/// (FLock gmFlockExchange: ≈3.01× at 365 days). Unlocking after expiry burns the lock's gmFLOCK and
/// returns the FLOCK minus a 5% redemption fee to the treasury. gmFLOCK only moves into and out of
/// allow-listed protocol contracts (staking, delegation, slashing), never between users.
contract GmFlock is ERC20, AccessControl, ReentrancyGuard {
    using SafeERC20 for IERC20;

    uint256 public constant MAX_LOCK_DAYS = 365;
    uint256 public constant REDEMPTION_FEE_BPS = 500;
    uint256 internal constant BPS = 10_000;

    struct Lock {
        address owner;
        uint64 unlockTime;
        uint32 durationDays;
        bool unlocked;
        uint256 amount;
        uint256 gmAmount;
    }

    IERC20 public immutable flock;
    address public treasury;
    uint256 public nextLockId = 1;
    mapping(uint256 lockId => Lock) public locks;
    mapping(address account => bool) public isProtocolContract;

    event Locked(
        uint256 indexed lockId, address indexed owner, uint256 amount, uint256 gmAmount, uint32 durationDays, uint64 unlockTime
    );
    event Unlocked(
        uint256 indexed lockId,
        address indexed owner,
        uint256 gmBurned,
        uint256 flockReturned,
        uint256 redemptionFee,
        uint256 forfeited
    );
    event ProtocolContractSet(address indexed account, bool allowed);
    event TreasurySet(address treasury);

    error ZeroAmount();
    error ZeroAddress();
    error LockTooLong(uint256 durationDays, uint256 maxDays);
    error UnknownLock(uint256 lockId);
    error NotLockOwner(uint256 lockId, address caller);
    error LockNotExpired(uint256 lockId, uint64 unlockTime);
    error AlreadyUnlocked(uint256 lockId);
    error InsufficientGmFlock(uint256 lockId, uint256 held, uint256 required);
    error TransferRestricted(address from, address to);

    constructor(IERC20 flock_, address treasury_, address admin) ERC20("Flock gmFLOCK", "gmFLOCK") {
        if (address(flock_) == address(0) || treasury_ == address(0) || admin == address(0)) revert ZeroAddress();
        flock = flock_;
        treasury = treasury_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @notice gmFLOCK minted for a lock of `amount` FLOCK over `durationDays` days (shared integer formula).
    function gmForLock(uint256 amount, uint256 durationDays) public pure returns (uint256) {
        // dc = min(max(d, 30), 365); gm = n + n·219·(dc − 30) / 36500 (floor)
        uint256 dc = durationDays < 30 ? 30 : (durationDays > 365 ? 365 : durationDays);
        return amount + (amount * 219 * (dc - 30)) / 36_500;
    }

    /// @notice Redemption fee on `amount` FLOCK returned at unlock: floor(n·500/10000).
    function redemptionFee(uint256 amount) public pure returns (uint256) {
        return (amount * REDEMPTION_FEE_BPS) / BPS;
    }

    /// @notice Locks `amount` FLOCK of the caller for `durationDays` days and mints gmFLOCK to the caller.
    function lock(uint256 amount, uint32 durationDays) external nonReentrant returns (uint256 lockId) {
        if (amount == 0) revert ZeroAmount();
        if (durationDays > MAX_LOCK_DAYS) revert LockTooLong(durationDays, MAX_LOCK_DAYS);
        uint256 gmAmount = gmForLock(amount, durationDays);
        uint64 unlockTime = uint64(block.timestamp + uint256(durationDays) * 1 days);
        lockId = nextLockId++;
        locks[lockId] = Lock(msg.sender, unlockTime, durationDays, false, amount, gmAmount);
        flock.safeTransferFrom(msg.sender, address(this), amount);
        _mint(msg.sender, gmAmount);
        emit Locked(lockId, msg.sender, amount, gmAmount, durationDays, unlockTime);
    }

    /// @notice Ends an expired lock: burns its gmFLOCK and returns the FLOCK minus the redemption fee.
    /// Staked or delegated gmFLOCK must be withdrawn first.
    function unlock(uint256 lockId) external nonReentrant {
        _unlock(lockId, false);
    }

    /// @notice Ends an expired lock whose owner holds less gmFLOCK than the lock minted because part of it was
    /// slashed: burns what the owner holds and returns the matching share n·burned/gm minus the redemption
    /// fee; the FLOCK behind the missing gmFLOCK goes to the treasury (which received the slashed gmFLOCK).
    function unlockForfeiting(uint256 lockId) external nonReentrant {
        _unlock(lockId, true);
    }

    function _unlock(uint256 lockId, bool allowShortfall) internal {
        Lock storage l = locks[lockId];
        if (l.owner == address(0)) revert UnknownLock(lockId);
        if (l.owner != msg.sender) revert NotLockOwner(lockId, msg.sender);
        if (l.unlocked) revert AlreadyUnlocked(lockId);
        if (block.timestamp < l.unlockTime) revert LockNotExpired(lockId, l.unlockTime);
        uint256 held = balanceOf(msg.sender);
        if (held < l.gmAmount && !allowShortfall) revert InsufficientGmFlock(lockId, held, l.gmAmount);
        l.unlocked = true;

        uint256 gmBurned = held < l.gmAmount ? held : l.gmAmount;
        // gross = n·burned/gm (n when nothing is missing); fee = floor(gross·500/10000); returned = gross − fee
        uint256 gross = gmBurned == l.gmAmount ? l.amount : (l.amount * gmBurned) / l.gmAmount;
        uint256 fee = redemptionFee(gross);
        uint256 forfeited = l.amount - gross;

        _burn(msg.sender, gmBurned);
        flock.safeTransfer(msg.sender, gross - fee);
        if (fee + forfeited > 0) flock.safeTransfer(treasury, fee + forfeited);
        emit Unlocked(lockId, msg.sender, gmBurned, gross - fee, fee, forfeited);
    }

    /// @notice Allows or disallows `account` (a protocol staking contract) to send and receive gmFLOCK.
    function setProtocolContract(address account, bool allowed) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (account == address(0)) revert ZeroAddress();
        isProtocolContract[account] = allowed;
        emit ProtocolContractSet(account, allowed);
    }

    /// @notice Sets the treasury that receives redemption fees.
    function setTreasury(address treasury_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (treasury_ == address(0)) revert ZeroAddress();
        treasury = treasury_;
        emit TreasurySet(treasury_);
    }

    /// @dev Mints and burns pass; a transfer needs an allow-listed protocol contract on one side.
    function _update(address from, address to, uint256 value) internal override {
        if (from != address(0) && to != address(0) && !isProtocolContract[from] && !isProtocolContract[to]) {
            revert TransferRestricted(from, to);
        }
        super._update(from, to, value);
    }
}
