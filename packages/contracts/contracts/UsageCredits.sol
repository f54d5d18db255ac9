// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

/// @title Prepaid FLOCK balances that pay for Moonbase API usage (SPEC §2.4).
/// @notice A consumer deposits FLOCK here (for itself or for another account). The coordinator meters every API
/// call off-chain and, once per network epoch, collects the epoch's charges (`collect`): each charged account's
/// balance is debited and the total moves to `recipient` (the RewardDistributor), where it is unallocated FLOCK
/// exactly like an emission mint, so the epoch that splits the revenue can reserve it.
///
/// Withdrawals are delayed: an account first requests an amount, and may withdraw it once `withdrawalDelay` has
/// passed. The coordinator stops serving against a requested amount at once, so usage metered before the request
/// is collected (epochs are shorter than the delay) before the FLOCK can leave.
///
/// Conservation: `totalCredits` = Σ balances; deposits raise both it and this contract's FLOCK by the same amount,
/// withdrawals and collections lower both by the same amount, so `flock.balanceOf(this) ≥ totalCredits` always
/// (FLOCK sent here by plain transfer is the only excess, and it belongs to nobody's balance).
contract UsageCredits is AccessControl, ReentrancyGuard {
    using SafeERC20 for IERC20;

    bytes32 public constant COLLECTOR_ROLE = keccak256("COLLECTOR_ROLE");
    uint64 public constant MIN_WITHDRAWAL_DELAY = 1 hours;
    uint64 public constant MAX_WITHDRAWAL_DELAY = 30 days;

    struct WithdrawalRequest {
        uint256 amount;
        uint64 availableAt;
    }

    IERC20 public immutable flock;
    /// @notice Receives collected usage charges: the RewardDistributor.
    address public recipient;
    /// @notice Seconds between a withdrawal request and the first moment it may be withdrawn.
    uint64 public withdrawalDelay;
    /// @notice Each account's prepaid FLOCK, in base units.
    mapping(address account => uint256) public balanceOf;
    /// @notice Each account's pending withdrawal request (amount 0: none).
    mapping(address account => WithdrawalRequest) public withdrawalRequests;
    /// @notice Epochs whose usage was collected; each epoch is collected at most once.
    mapping(uint256 epoch => bool) public collected;
    /// @notice Σ balanceOf over all accounts.
    uint256 public totalCredits;

    event CreditDeposited(address indexed account, address indexed from, uint256 amount, uint256 balance);
    event CreditWithdrawalRequested(address indexed account, uint256 amount, uint64 availableAt);
    event CreditWithdrawn(address indexed account, uint256 amount, uint256 balance);
    event UsageCharged(uint256 indexed epoch, address indexed account, uint256 amount, uint256 balance);
    event UsageCollected(uint256 indexed epoch, uint256 total);
    event RecipientSet(address recipient);
    event WithdrawalDelaySet(uint64 withdrawalDelay);

    error ZeroAddress();
    error ZeroAmount();
    error InsufficientCredit(address account, uint256 needed, uint256 available);
    error EpochAlreadyCollected(uint256 epoch);
    error ChargesMismatch(uint256 accounts, uint256 amounts);
    error NoCharges(uint256 epoch);
    error NoWithdrawalRequested(address account);
    error WithdrawalNotReady(address account, uint64 availableAt);
    error NothingToWithdraw(address account);
    error WithdrawalDelayOutOfRange(uint64 withdrawalDelay, uint64 minDelay, uint64 maxDelay);

    constructor(IERC20 flock_, address recipient_, address admin, uint64 withdrawalDelay_) {
        if (address(flock_) == address(0) || recipient_ == address(0) || admin == address(0)) revert ZeroAddress();
        flock = flock_;
        recipient = recipient_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _setWithdrawalDelay(withdrawalDelay_);
        emit RecipientSet(recipient_);
    }

    /// @notice Adds `amount` FLOCK (pulled from the caller, who approved it) to the caller's balance.
    function deposit(uint256 amount) external nonReentrant {
        _deposit(msg.sender, amount);
    }

    /// @notice Adds `amount` FLOCK (pulled from the caller) to `account`'s balance: a sponsor funds a consumer.
    /// Only `account` itself can ever withdraw it.
    function depositFor(address account, uint256 amount) external nonReentrant {
        if (account == address(0)) revert ZeroAddress();
        _deposit(account, amount);
    }

    /// @notice Asks to withdraw `amount` of the caller's balance after `withdrawalDelay`; replaces any earlier
    /// request (and restarts its delay). Amount 0 cancels the pending request.
    function requestWithdrawal(uint256 amount) external {
        uint256 balance = balanceOf[msg.sender];
        if (amount > balance) revert InsufficientCredit(msg.sender, amount, balance);
        uint64 availableAt = amount == 0 ? 0 : uint64(block.timestamp) + withdrawalDelay;
        withdrawalRequests[msg.sender] = WithdrawalRequest(amount, availableAt);
        emit CreditWithdrawalRequested(msg.sender, amount, availableAt);
    }

    /// @notice Pays the caller its requested amount once the delay has passed: min(requested, balance), since
    /// usage collected meanwhile may have lowered the balance. Clears the request.
    function withdraw() external nonReentrant returns (uint256 amount) {
        WithdrawalRequest memory request = withdrawalRequests[msg.sender];
        if (request.amount == 0) revert NoWithdrawalRequested(msg.sender);
        if (block.timestamp < request.availableAt) revert WithdrawalNotReady(msg.sender, request.availableAt);
        uint256 balance = balanceOf[msg.sender];
        amount = request.amount < balance ? request.amount : balance;
        if (amount == 0) revert NothingToWithdraw(msg.sender);
        delete withdrawalRequests[msg.sender];
        balance -= amount;
        balanceOf[msg.sender] = balance;
        totalCredits -= amount;
        flock.safeTransfer(msg.sender, amount);
        emit CreditWithdrawn(msg.sender, amount, balance);
    }

    /// @notice Collects an epoch's usage charges, once per epoch: debits `amounts[i]` from `accounts[i]` (each
    /// at most the balance left, else the whole collection reverts) and sends the total to `recipient`.
    /// Collector (the coordinator) only.
    function collect(uint256 epoch, address[] calldata accounts, uint256[] calldata amounts)
        external
        onlyRole(COLLECTOR_ROLE)
        nonReentrant
        returns (uint256 total)
    {
        if (collected[epoch]) revert EpochAlreadyCollected(epoch);
        if (accounts.length != amounts.length) revert ChargesMismatch(accounts.length, amounts.length);
        if (accounts.length == 0) revert NoCharges(epoch);
        collected[epoch] = true;
        for (uint256 i = 0; i < accounts.length; i++) {
            address account = accounts[i];
            uint256 amount = amounts[i];
            uint256 balance = balanceOf[account];
            if (amount > balance) revert InsufficientCredit(account, amount, balance);
            balance -= amount;
            balanceOf[account] = balance;
            total += amount;
            emit UsageCharged(epoch, account, amount, balance);
        }
        totalCredits -= total;
        emit UsageCollected(epoch, total);
        if (total > 0) flock.safeTransfer(recipient, total);
    }

    /// @notice Sets the delay of withdrawal requests made from now on (between MIN and MAX_WITHDRAWAL_DELAY).
    function setWithdrawalDelay(uint64 withdrawalDelay_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setWithdrawalDelay(withdrawalDelay_);
    }

    /// @notice Sets where collected charges go (the RewardDistributor of the deployment).
    function setRecipient(address recipient_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (recipient_ == address(0)) revert ZeroAddress();
        recipient = recipient_;
        emit RecipientSet(recipient_);
    }

    function _deposit(address account, uint256 amount) internal {
        if (amount == 0) revert ZeroAmount();
        uint256 balance = balanceOf[account] + amount;
        balanceOf[account] = balance;
        totalCredits += amount;
        flock.safeTransferFrom(msg.sender, address(this), amount);
        emit CreditDeposited(account, msg.sender, amount, balance);
    }

    function _setWithdrawalDelay(uint64 withdrawalDelay_) internal {
        if (withdrawalDelay_ < MIN_WITHDRAWAL_DELAY || withdrawalDelay_ > MAX_WITHDRAWAL_DELAY) {
            revert WithdrawalDelayOutOfRange(withdrawalDelay_, MIN_WITHDRAWAL_DELAY, MAX_WITHDRAWAL_DELAY);
        }
        withdrawalDelay = withdrawalDelay_;
        emit WithdrawalDelaySet(withdrawalDelay_);
    }
}
