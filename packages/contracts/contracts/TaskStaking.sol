// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {GmFlock} from "./GmFlock.sol";

/// @title The task registry and gmFLOCK task stakes.
/// @notice The coordinator registers tasks (minimum stake, minimum lock, submission deadline, planned end,
/// dispute window) and sets their status. Participants stake gmFLOCK on a task as trainer or validator, never
/// both on one task [FLock], and only before its submission deadline. Stakes are withdrawable once the task is
/// closed and its dispute window has passed; until then the Slashing contract (SLASHER_ROLE) can seize part
/// of a stake.
///
/// Frozen stakes (SPEC §2.1: stakes that count are frozen at the submission deadline): staking closes at the
/// deadline, so a stake can only grow before it; `snapshotStakeOf` is the stake held at the deadline. A seize
/// before the deadline lowers it, a seize or withdrawal after it leaves it as it was, so nobody can add stake
/// after seeing a leaderboard or a score, and a slash after the deadline does not rewrite who counted.
///
/// Network stake floor (SPEC §3: a network minimum stake applies to every role): every task's minimum stake
/// is at least `minStakeFloor` when it is created, and every stake reaches max(task minimum, floor), so a task
/// cannot be settled by 1-wei stakes. OPERATOR_ROLE marks the accounts the network lets create tasks paid from
/// the emission (SPEC §3); the coordinator checks `isOperator` before it registers such a task.
contract TaskStaking is AccessControl, ReentrancyGuard {
    using SafeERC20 for IERC20;

    bytes32 public constant COORDINATOR_ROLE = keccak256("COORDINATOR_ROLE");
    bytes32 public constant SLASHER_ROLE = keccak256("SLASHER_ROLE");
    bytes32 public constant OPERATOR_ROLE = keccak256("OPERATOR_ROLE");
    /// @notice Bound on the unfinished tasks one account stakes in, so per-account checks stay cheap.
    uint256 public constant MAX_ACTIVE_TASKS = 32;

    // Status: None = unknown task, Open = staking allowed, Paused = staking stopped (e.g. evaluation),
    // Closed = final; withdrawals start after closedAt + disputeWindow.
    uint8 public constant STATUS_NONE = 0;
    uint8 public constant STATUS_OPEN = 1;
    uint8 public constant STATUS_PAUSED = 2;
    uint8 public constant STATUS_CLOSED = 3;

    uint8 public constant ROLE_NONE = 0;
    uint8 public constant ROLE_TRAINER = 1;
    uint8 public constant ROLE_VALIDATOR = 2;

    struct Task {
        uint8 status;
        uint32 minLockDays;
        uint64 submissionDeadline;
        uint64 endTime;
        uint64 closedAt;
        uint64 disputeWindow;
        uint256 minStake;
        uint256 totalTrainerStake;
        uint256 totalValidatorStake;
    }

    struct Stake {
        uint8 role;
        /// Set by the first change after the submission deadline, which copies `amount` into `frozenAmount`.
        bool frozen;
        uint256 amount;
        /// The stake at the submission deadline, once `frozen`; before that `amount` is the frozen stake.
        uint256 frozenAmount;
    }

    GmFlock public immutable gmFlock;
    mapping(uint256 taskId => Task) public tasks;
    mapping(uint256 taskId => mapping(address account => Stake)) public stakes;
    mapping(address account => uint256[]) internal activeTasks;
    /// @notice The network minimum stake: no task minimum below it, no stake below it.
    uint256 public minStakeFloor;

    event TaskCreated(
        uint256 indexed taskId,
        uint256 minStake,
        uint32 minLockDays,
        uint64 submissionDeadline,
        uint64 endTime,
        uint64 disputeWindow
    );
    event MinStakeFloorSet(uint256 minStakeFloor);
    event TaskStatusSet(uint256 indexed taskId, uint8 status, uint64 closedAt);
    event Staked(uint256 indexed taskId, address indexed account, uint8 role, uint256 amount, uint256 totalStake);
    event Withdrawn(uint256 indexed taskId, address indexed account, uint256 amount);
    event StakeSeized(uint256 indexed taskId, address indexed account, uint256 amount, uint256 remainingStake);

    error ZeroAmount();
    error ZeroAddress();
    error TaskExists(uint256 taskId);
    error UnknownTask(uint256 taskId);
    error InvalidStatusTransition(uint256 taskId, uint8 from, uint8 to);
    error InvalidRole(uint8 role);
    error TaskNotOpen(uint256 taskId, uint8 status);
    error RoleConflict(uint256 taskId, address account, uint8 stakedRole);
    error BelowMinimumStake(uint256 taskId, uint256 totalStake, uint256 minStake);
    error LockTooShort(uint256 lockId, uint32 durationDays, uint32 minLockDays);
    error LockTooSmall(uint256 lockId, uint256 gmAmount, uint256 stake);
    error NotLockOwner(uint256 lockId, address caller);
    error LockEnded(uint256 lockId);
    error TooManyActiveTasks(address account);
    error TaskNotClosed(uint256 taskId, uint8 status);
    error WithdrawLocked(uint256 taskId, uint64 availableAt);
    error NothingStaked(uint256 taskId, address account);
    error SeizeExceedsStake(uint256 taskId, address account, uint256 amount, uint256 stake);
    error BelowStakeFloor(uint256 minStake, uint256 minStakeFloor);
    error DeadlineAfterEnd(uint64 submissionDeadline, uint64 endTime);
    error StakingClosed(uint256 taskId, uint64 submissionDeadline);

    constructor(GmFlock gmFlock_, address admin, uint256 minStakeFloor_) {
        if (address(gmFlock_) == address(0) || admin == address(0)) revert ZeroAddress();
        gmFlock = gmFlock_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(OPERATOR_ROLE, admin);
        minStakeFloor = minStakeFloor_;
        emit MinStakeFloorSet(minStakeFloor_);
    }

    /// @notice Registers an open task; stakes are taken until `submissionDeadline` (≤ `endTime`), and its
    /// minimum stake is at least the network floor.
    function createTask(
        uint256 taskId,
        uint256 minStake,
        uint32 minLockDays,
        uint64 submissionDeadline,
        uint64 endTime,
        uint64 disputeWindow
    ) external onlyRole(COORDINATOR_ROLE) {
        if (tasks[taskId].status != STATUS_NONE) revert TaskExists(taskId);
        if (submissionDeadline > endTime) revert DeadlineAfterEnd(submissionDeadline, endTime);
        if (minStake < minStakeFloor) revert BelowStakeFloor(minStake, minStakeFloor);
        tasks[taskId] =
            Task(STATUS_OPEN, minLockDays, submissionDeadline, endTime, 0, disputeWindow, minStake, 0, 0);
        emit TaskCreated(taskId, minStake, minLockDays, submissionDeadline, endTime, disputeWindow);
        emit TaskStatusSet(taskId, STATUS_OPEN, 0);
    }

    /// @notice Sets the network minimum stake; tasks created before keep their minimum, but every stake from
    /// now on reaches the new floor too.
    function setMinStakeFloor(uint256 minStakeFloor_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        minStakeFloor = minStakeFloor_;
        emit MinStakeFloorSet(minStakeFloor_);
    }

    /// @notice True if `account` may create tasks paid from the emission (SPEC §3: approved by the operator
    /// role); anyone else's task pays from the pool it funds itself in the RewardDistributor.
    function isOperator(address account) external view returns (bool) {
        return hasRole(OPERATOR_ROLE, account);
    }

    /// @notice Moves a task between Open and Paused, or to Closed (final; starts the dispute window).
    function setTaskStatus(uint256 taskId, uint8 status) external onlyRole(COORDINATOR_ROLE) {
        Task storage task = tasks[taskId];
        uint8 current = task.status;
        if (current == STATUS_NONE) revert UnknownTask(taskId);
        bool allowed = (current == STATUS_OPEN && (status == STATUS_PAUSED || status == STATUS_CLOSED))
            || (current == STATUS_PAUSED && (status == STATUS_OPEN || status == STATUS_CLOSED));
        if (!allowed) revert InvalidStatusTransition(taskId, current, status);
        task.status = status;
        if (status == STATUS_CLOSED) task.closedAt = uint64(block.timestamp);
        emit TaskStatusSet(taskId, status, task.closedAt);
    }

    /// @notice Stakes `amount` gmFLOCK on an open task in `role` before its submission deadline, backed by the
    /// caller's lock `lockId` (not yet unlocked), which must last at least the task's minimum lock and have
    /// minted at least the resulting stake. The total reaches max(task minimum, network floor).
    function stake(uint256 taskId, uint8 role, uint256 amount, uint256 lockId) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        if (role != ROLE_TRAINER && role != ROLE_VALIDATOR) revert InvalidRole(role);
        Task storage task = tasks[taskId];
        if (task.status != STATUS_OPEN) revert TaskNotOpen(taskId, task.status);
        // stakes that count are frozen at the deadline (SPEC §2.1): none is added after it
        if (block.timestamp >= task.submissionDeadline) revert StakingClosed(taskId, task.submissionDeadline);
        Stake storage s = stakes[taskId][msg.sender];
        if (s.role != ROLE_NONE && s.role != role) revert RoleConflict(taskId, msg.sender, s.role);

        uint256 total = s.amount + amount;
        uint256 minimum = task.minStake > minStakeFloor ? task.minStake : minStakeFloor;
        if (total < minimum) revert BelowMinimumStake(taskId, total, minimum);
        (address lockOwner,, uint32 lockDays, bool lockEnded,, uint256 lockGm) = gmFlock.locks(lockId);
        if (lockOwner != msg.sender) revert NotLockOwner(lockId, msg.sender);
        if (lockEnded) revert LockEnded(lockId);
        if (lockDays < task.minLockDays) revert LockTooShort(lockId, lockDays, task.minLockDays);
        if (lockGm < total) revert LockTooSmall(lockId, lockGm, total);

        if (s.amount == 0) {
            if (activeTasks[msg.sender].length >= MAX_ACTIVE_TASKS) revert TooManyActiveTasks(msg.sender);
            activeTasks[msg.sender].push(taskId);
        }
        s.role = role;
        s.amount = total;
        if (role == ROLE_TRAINER) task.totalTrainerStake += amount;
        else task.totalValidatorStake += amount;

        IERC20(address(gmFlock)).safeTransferFrom(msg.sender, address(this), amount);
        emit Staked(taskId, msg.sender, role, amount, total);
    }

    /// @notice Returns the caller's whole stake once the task is closed and its dispute window has passed.
    function withdraw(uint256 taskId) external nonReentrant {
        Task storage task = tasks[taskId];
        if (task.status != STATUS_CLOSED) revert TaskNotClosed(taskId, task.status);
        uint64 availableAt = task.closedAt + task.disputeWindow;
        if (block.timestamp < availableAt) revert WithdrawLocked(taskId, availableAt);
        Stake storage s = stakes[taskId][msg.sender];
        uint256 amount = s.amount;
        if (amount == 0) revert NothingStaked(taskId, msg.sender);

        _freezeIfPastDeadline(task, s);
        s.amount = 0;
        if (s.role == ROLE_TRAINER) task.totalTrainerStake -= amount;
        else task.totalValidatorStake -= amount;
        _removeActiveTask(msg.sender, taskId);

        IERC20(address(gmFlock)).safeTransfer(msg.sender, amount);
        emit Withdrawn(taskId, msg.sender, amount);
    }

    /// @notice Moves `amount` of an account's stake to the slashing contract (the caller).
    function seize(uint256 taskId, address account, uint256 amount)
        external
        onlyRole(SLASHER_ROLE)
        nonReentrant
    {
        Stake storage s = stakes[taskId][account];
        if (amount == 0) revert ZeroAmount();
        if (amount > s.amount) revert SeizeExceedsStake(taskId, account, amount, s.amount);
        Task storage task = tasks[taskId];
        _freezeIfPastDeadline(task, s);
        s.amount -= amount;
        if (s.role == ROLE_TRAINER) task.totalTrainerStake -= amount;
        else task.totalValidatorStake -= amount;
        if (s.amount == 0) _removeActiveTask(account, taskId);

        IERC20(address(gmFlock)).safeTransfer(msg.sender, amount);
        emit StakeSeized(taskId, account, amount, s.amount);
    }

    /// @notice Stake of `account` on `taskId` (0 when none).
    function stakeOf(uint256 taskId, address account) external view returns (uint256) {
        return stakes[taskId][account].amount;
    }

    /// @notice Stake of `account` on `taskId` at the submission deadline: what counts for the task's scores and
    /// rewards. Before the deadline it is the current stake (what would be frozen if nothing changes).
    function snapshotStakeOf(uint256 taskId, address account) external view returns (uint256) {
        Stake storage s = stakes[taskId][account];
        return s.frozen ? s.frozenAmount : s.amount;
    }

    /// @notice Tasks on which `account` holds a stake.
    function activeTasksOf(address account) external view returns (uint256[] memory) {
        return activeTasks[account];
    }

    /// @notice True if `account` stakes on an unclosed task whose planned end is within `window` seconds
    /// of now (either side): delegation pools freeze σ then.
    function isNearTaskEnd(address account, uint64 window) external view returns (bool) {
        uint256[] storage ids = activeTasks[account];
        for (uint256 i = 0; i < ids.length; i++) {
            Task storage task = tasks[ids[i]];
            if (task.status == STATUS_CLOSED) continue;
            uint256 end = task.endTime;
            if (block.timestamp + window >= end && block.timestamp <= end + window) return true;
        }
        return false;
    }

    /// A stake's first change at or after the deadline records the amount held at the deadline.
    function _freezeIfPastDeadline(Task storage task, Stake storage s) internal {
        if (!s.frozen && block.timestamp >= task.submissionDeadline) {
            s.frozen = true;
            s.frozenAmount = s.amount;
        }
    }

    function _removeActiveTask(address account, uint256 taskId) internal {
        uint256[] storage ids = activeTasks[account];
        for (uint256 i = 0; i < ids.length; i++) {
            if (ids[i] == taskId) {
                ids[i] = ids[ids.length - 1];
                ids.pop();
                return;
            }
        }
    }
}
