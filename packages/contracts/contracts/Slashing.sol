// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {TaskStaking} from "./TaskStaking.sol";

/// @title Slashing of task stakes for proven faults.
/// @notice A SLASHER_ROLE holder (the coordinator, acting on a published fault proof) slashes a fraction
/// of a task stake, citing the evidence hash; 10% goes to whoever proved the fault and 90% to the
/// treasury (the protocol pool) [FLock v1]. Each evidence hash can be used once.
contract Slashing is AccessControl, ReentrancyGuard {
    using SafeERC20 for IERC20;

    bytes32 public constant SLASHER_ROLE = keccak256("SLASHER_ROLE");
    uint256 public constant PROVER_SHARE_BPS = 1_000;
    uint256 internal constant BPS = 10_000;

    IERC20 public immutable gmFlock;
    TaskStaking public immutable taskStaking;
    address public treasury;
    mapping(bytes32 evidenceHash => bool) public evidenceUsed;

    event Slashed(
        uint256 indexed taskId,
        address indexed account,
        address indexed prover,
        bytes32 evidenceHash,
        uint16 fractionBps,
        uint256 amount,
        uint256 proverShare,
        uint256 treasuryShare
    );
    event TreasurySet(address treasury);

    error ZeroAddress();
    error InvalidFraction(uint16 fractionBps);
    error EvidenceAlreadyUsed(bytes32 evidenceHash);
    error NothingToSlash(uint256 taskId, address account);

    constructor(IERC20 gmFlock_, TaskStaking taskStaking_, address treasury_, address admin) {
        if (
            address(gmFlock_) == address(0) || address(taskStaking_) == address(0) || treasury_ == address(0)
                || admin == address(0)
        ) revert ZeroAddress();
        gmFlock = gmFlock_;
        taskStaking = taskStaking_;
        treasury = treasury_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @notice Prover's part of a slash of `amount`: floor(s·1000/10000); the rest goes to the treasury.
    function proverShareOf(uint256 amount) public pure returns (uint256) {
        return (amount * PROVER_SHARE_BPS) / BPS;
    }

    /// @notice Slashes `fractionBps` of `account`'s stake on `taskId` for the fault proven by `evidenceHash`.
    function slash(uint256 taskId, address account, uint16 fractionBps, bytes32 evidenceHash, address prover)
        external
        onlyRole(SLASHER_ROLE)
        nonReentrant
        returns (uint256 amount)
    {
        if (fractionBps == 0 || fractionBps > BPS) revert InvalidFraction(fractionBps);
        if (prover == address(0)) revert ZeroAddress();
        if (evidenceUsed[evidenceHash]) revert EvidenceAlreadyUsed(evidenceHash);
        // slashed = floor(stake·fraction/10000)
        amount = (taskStaking.stakeOf(taskId, account) * fractionBps) / BPS;
        if (amount == 0) revert NothingToSlash(taskId, account);
        evidenceUsed[evidenceHash] = true;

        uint256 proverShare = proverShareOf(amount);
        uint256 treasuryShare = amount - proverShare;
        taskStaking.seize(taskId, account, amount);
        if (proverShare > 0) gmFlock.safeTransfer(prover, proverShare);
        gmFlock.safeTransfer(treasury, treasuryShare);
        emit Slashed(taskId, account, prover, evidenceHash, fractionBps, amount, proverShare, treasuryShare);
    }

    /// @notice Sets the treasury that receives the non-prover part of slashes.
    function setTreasury(address treasury_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (treasury_ == address(0)) revert ZeroAddress();
        treasury = treasury_;
        emit TreasurySet(treasury_);
    }
}
