// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {TaskStaking} from "./TaskStaking.sol";

/// @title Delegation pools: gmFLOCK delegated to a participant.
/// @notice Each participant opens a pool with a reward-sharing ratio σ (bps) in [σmin, σmax]: the participant
/// keeps po + σ·(pw − po) and the pool gets (1 − σ)(pw − po) [FLock V2.1]; rewards are computed off-chain
/// from the events here (time-weighted delegation). σ changes wait a cooldown and are frozen while the
/// participant stakes on a task whose end is within the freeze window.
contract DelegationPools is AccessControl, ReentrancyGuard {
    using SafeERC20 for IERC20;

    uint16 public constant MAX_BPS = 10_000;

    struct Pool {
        bool open;
        uint16 sigmaBps;
        uint64 sigmaChangedAt;
        uint256 totalDelegated;
    }

    IERC20 public immutable gmFlock;
    TaskStaking public immutable taskStaking;
    uint16 public sigmaMinBps;
    uint16 public sigmaMaxBps;
    uint64 public sigmaCooldown;
    uint64 public freezeWindow;
    mapping(address participant => Pool) public pools;
    mapping(address participant => mapping(address delegator => uint256)) public delegations;

    event SigmaSet(address indexed participant, uint16 sigmaBps);
    event Delegated(address indexed participant, address indexed delegator, uint256 amount, uint256 delegation, uint256 poolTotal);
    event Undelegated(address indexed participant, address indexed delegator, uint256 amount, uint256 delegation, uint256 poolTotal);
    event SigmaParamsSet(uint16 sigmaMinBps, uint16 sigmaMaxBps, uint64 sigmaCooldown, uint64 freezeWindow);

    error ZeroAmount();
    error ZeroAddress();
    error InvalidSigmaParams(uint16 sigmaMinBps, uint16 sigmaMaxBps);
    error SigmaOutOfRange(uint16 sigmaBps, uint16 sigmaMinBps, uint16 sigmaMaxBps);
    error SigmaCooldown(uint64 availableAt);
    error SigmaFrozen(address participant);
    error PoolNotOpen(address participant);
    error InsufficientDelegation(address participant, address delegator, uint256 delegation, uint256 amount);

    constructor(
        IERC20 gmFlock_,
        TaskStaking taskStaking_,
        address admin,
        uint16 sigmaMinBps_,
        uint16 sigmaMaxBps_,
        uint64 sigmaCooldown_,
        uint64 freezeWindow_
    ) {
        if (address(gmFlock_) == address(0) || address(taskStaking_) == address(0) || admin == address(0)) {
            revert ZeroAddress();
        }
        gmFlock = gmFlock_;
        taskStaking = taskStaking_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _setSigmaParams(sigmaMinBps_, sigmaMaxBps_, sigmaCooldown_, freezeWindow_);
    }

    /// @notice Opens the caller's pool or changes its σ (after the cooldown, outside a task-end freeze).
    function setSigma(uint16 sigmaBps) external {
        if (sigmaBps < sigmaMinBps || sigmaBps > sigmaMaxBps) {
            revert SigmaOutOfRange(sigmaBps, sigmaMinBps, sigmaMaxBps);
        }
        Pool storage pool = pools[msg.sender];
        if (pool.open) {
            uint64 availableAt = pool.sigmaChangedAt + sigmaCooldown;
            if (block.timestamp < availableAt) revert SigmaCooldown(availableAt);
            if (taskStaking.isNearTaskEnd(msg.sender, freezeWindow)) revert SigmaFrozen(msg.sender);
        }
        pool.open = true;
        pool.sigmaBps = sigmaBps;
        pool.sigmaChangedAt = uint64(block.timestamp);
        emit SigmaSet(msg.sender, sigmaBps);
    }

    /// @notice Delegates `amount` gmFLOCK of the caller to `participant`'s pool.
    function delegate(address participant, uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        Pool storage pool = pools[participant];
        if (!pool.open) revert PoolNotOpen(participant);
        uint256 delegation = delegations[participant][msg.sender] + amount;
        delegations[participant][msg.sender] = delegation;
        pool.totalDelegated += amount;
        gmFlock.safeTransferFrom(msg.sender, address(this), amount);
        emit Delegated(participant, msg.sender, amount, delegation, pool.totalDelegated);
    }

    /// @notice Returns `amount` of the caller's delegation to `participant`.
    function undelegate(address participant, uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        uint256 current = delegations[participant][msg.sender];
        if (amount > current) revert InsufficientDelegation(participant, msg.sender, current, amount);
        Pool storage pool = pools[participant];
        delegations[participant][msg.sender] = current - amount;
        pool.totalDelegated -= amount;
        gmFlock.safeTransfer(msg.sender, amount);
        emit Undelegated(participant, msg.sender, amount, current - amount, pool.totalDelegated);
    }

    /// @notice Sets σ bounds (bps), the σ cooldown and the task-end freeze window (seconds).
    function setSigmaParams(uint16 sigmaMinBps_, uint16 sigmaMaxBps_, uint64 sigmaCooldown_, uint64 freezeWindow_)
        external
        onlyRole(DEFAULT_ADMIN_ROLE)
    {
        _setSigmaParams(sigmaMinBps_, sigmaMaxBps_, sigmaCooldown_, freezeWindow_);
    }

    function _setSigmaParams(uint16 min_, uint16 max_, uint64 cooldown_, uint64 freeze_) internal {
        if (min_ > max_ || max_ > MAX_BPS) revert InvalidSigmaParams(min_, max_);
        sigmaMinBps = min_;
        sigmaMaxBps = max_;
        sigmaCooldown = cooldown_;
        freezeWindow = freeze_;
        emit SigmaParamsSet(min_, max_, cooldown_, freeze_);
    }
}
