// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

/// @title Epoch reward settlement by Merkle proof.
/// @notice Each epoch the coordinator posts the hash of its signed epoch report and two Merkle roots
/// (OpenZeppelin StandardMerkleTree, leaf (uint256 epoch, address account, uint256 amount)): `liquid`,
/// claimable at once, and `vesting`, trainers' locked 90% [FLock], released linearly over the vesting
/// duration from the posting time. Anyone may submit a claim; FLOCK goes to the account, minus the claim
/// fee, which goes to the treasury. Rewards are paid from this contract's FLOCK (the emission recipient).
///
/// Solvency: each epoch is posted with `total`, the sum of every leaf amount of both its trees, and is
/// accepted only if the FLOCK not yet promised to earlier epochs covers it. `outstanding` is what posted
/// epochs still owe (Σ totals − Σ gross claims) and the contract keeps the invariant
/// `flock.balanceOf(this) ≥ outstanding + pooledTotal`: a post adds `total` to `outstanding` only when the
/// task pools it draws and the unallocated FLOCK cover it, funding a pool raises the balance and
/// `pooledTotal` alike, a claim lowers `outstanding` by exactly the FLOCK it sends out (paid + fee), and
/// nothing else moves FLOCK out of this contract (emission mints and transfers in only raise the balance).
/// An epoch's claims
/// are capped at its own `total`, so a root whose leaves sum above its declared total fails once the total
/// is reached instead of spending FLOCK reserved for other epochs. Hence every posted epoch is fully funded:
/// each epoch can always pay out its total, whatever order the claims of all epochs come in.
///
/// Task pools (SPEC §3: anyone may post a task that funds its own reward pool on-chain): `fundTask` pulls
/// FLOCK into a pool of one task. Pooled FLOCK is not emission: `unallocated() = balance − outstanding −
/// Σ pools`. A post names how much of its `total` each task pool pays (`poolAmounts`), takes that from the
/// pools and the rest (the emission part) from `unallocated()`; both become `outstanding`. A pool is spent
/// only by posted epochs, so what a creator put in pays that task's participants — with one exception: a pool
/// no epoch ever drew from (its task never opened) can be cancelled by the coordinator, and each funder then
/// takes back exactly what it put in (`refundTaskFunding`), once. A pool an epoch drew from is bound to its task
/// for good: it cannot be cancelled, and a cancelled pool can no longer be funded or drawn.
contract RewardDistributor is AccessControl, ReentrancyGuard {
    using SafeERC20 for IERC20;

    bytes32 public constant COORDINATOR_ROLE = keccak256("COORDINATOR_ROLE");
    uint8 public constant TREE_LIQUID = 0;
    uint8 public constant TREE_VESTING = 1;
    uint16 public constant MAX_CLAIM_FEE_BPS = 1_000;
    uint64 public constant MAX_VESTING_DURATION = 730 days;
    uint256 internal constant BPS = 10_000;

    struct Epoch {
        bytes32 liquidRoot;
        bytes32 vestingRoot;
        bytes32 reportHash;
        uint64 postedAt;
        uint64 vestingDuration;
        /// Sum of every leaf amount of both trees: the most this epoch can ever pay.
        uint256 total;
        /// Gross FLOCK claimed from this epoch so far (claim fees included); never above `total`.
        uint256 claimedTotal;
    }

    IERC20 public immutable flock;
    address public treasury;
    uint16 public claimFeeBps;
    uint64 public vestingDuration;
    mapping(uint256 epoch => Epoch) public epochs;
    mapping(uint256 epoch => mapping(uint8 tree => mapping(address account => uint256))) public claimed;
    /// @notice FLOCK that posted epochs still owe: Σ totals of posted epochs − Σ gross claims.
    /// Always ≤ this contract's FLOCK balance (see the contract notice).
    uint256 public outstanding;
    /// @notice FLOCK funded to each task's own pool and not yet drawn by a posted epoch.
    mapping(uint256 taskId => uint256) public taskPool;
    /// @notice Σ taskPool over all tasks: held here but not emission.
    uint256 public pooledTotal;
    /// @notice FLOCK each funder put into a task's pool (what `refundTaskFunding` returns after a cancel).
    mapping(uint256 taskId => mapping(address funder => uint256)) public fundedBy;
    /// @notice A task whose pool an epoch drew from: bound to its task, never refundable.
    mapping(uint256 taskId => bool) public poolBound;
    /// @notice A task whose pool was cancelled before any epoch drew from it: its funders take their FLOCK back.
    mapping(uint256 taskId => bool) public poolCancelled;

    event EpochRootPosted(
        uint256 indexed epoch,
        bytes32 liquidRoot,
        bytes32 vestingRoot,
        bytes32 reportHash,
        uint64 vestingDuration,
        uint256 total
    );
    event TaskFunded(uint256 indexed taskId, address indexed funder, uint256 amount, uint256 poolTotal);
    event TaskPoolDrawn(uint256 indexed epoch, uint256 indexed taskId, uint256 amount, uint256 poolTotal);
    event TaskPoolCancelled(uint256 indexed taskId, uint256 poolTotal);
    event TaskFundingRefunded(uint256 indexed taskId, address indexed funder, uint256 amount, uint256 poolTotal);
    event Claimed(
        uint256 indexed epoch,
        address indexed account,
        uint8 indexed tree,
        uint256 amount,
        uint256 fee,
        uint256 totalClaimed
    );
    event ClaimFeeSet(uint16 claimFeeBps);
    event VestingDurationSet(uint64 vestingDuration);
    event TreasurySet(address treasury);

    error ZeroAddress();
    error EpochAlreadyPosted(uint256 epoch);
    error EpochNotPosted(uint256 epoch);
    error InvalidTree(uint8 tree);
    error EmptyTree(uint256 epoch, uint8 tree);
    error InvalidProof(uint256 epoch, uint8 tree, address account, uint256 amount);
    error NothingToClaim(uint256 epoch, uint8 tree, address account);
    error ClaimFeeTooHigh(uint16 claimFeeBps, uint16 maxBps);
    error VestingDurationTooLong(uint64 vestingDuration, uint64 maxDuration);
    error InsufficientRewards(uint256 needed, uint256 available);
    error EpochOverclaimed(uint256 epoch, uint256 total);
    error EpochTotalMismatch(uint256 epoch, uint256 total);
    error ZeroAmount();
    error PoolDrawsMismatch(uint256 taskIds, uint256 amounts);
    error InsufficientTaskPool(uint256 taskId, uint256 needed, uint256 available);
    error PoolDrawsExceedTotal(uint256 epoch, uint256 pooled, uint256 total);
    error TaskPoolBound(uint256 taskId);
    error PoolCancelled(uint256 taskId);
    error TaskPoolNotCancelled(uint256 taskId);
    error NothingToRefund(uint256 taskId, address funder);

    constructor(IERC20 flock_, address treasury_, address admin, uint16 claimFeeBps_, uint64 vestingDuration_) {
        if (address(flock_) == address(0) || treasury_ == address(0) || admin == address(0)) revert ZeroAddress();
        flock = flock_;
        treasury = treasury_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _setClaimFee(claimFeeBps_);
        _setVestingDuration(vestingDuration_);
    }

    /// @notice Adds `amount` FLOCK (pulled from the caller, who approved it) to the reward pool of `taskId`.
    /// Anyone may fund any task id; the FLOCK can only leave through epochs posted for it.
    function fundTask(uint256 taskId, uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        if (poolCancelled[taskId]) revert PoolCancelled(taskId);
        uint256 poolTotal = taskPool[taskId] + amount;
        taskPool[taskId] = poolTotal;
        pooledTotal += amount;
        fundedBy[taskId][msg.sender] += amount;
        flock.safeTransferFrom(msg.sender, address(this), amount);
        emit TaskFunded(taskId, msg.sender, amount, poolTotal);
    }

    /// @notice Cancels the pool of a task that will never open (its draft was cancelled): no epoch may draw
    /// from it any more and its funders may take their FLOCK back. Refused for a pool an epoch already drew
    /// from (bound to its task) and for one already cancelled. Coordinator only.
    function cancelTaskPool(uint256 taskId) external onlyRole(COORDINATOR_ROLE) {
        if (poolBound[taskId]) revert TaskPoolBound(taskId);
        if (poolCancelled[taskId]) revert PoolCancelled(taskId);
        poolCancelled[taskId] = true;
        emit TaskPoolCancelled(taskId, taskPool[taskId]);
    }

    /// @notice Returns to the caller what it funded into a cancelled task's pool, once.
    function refundTaskFunding(uint256 taskId) external nonReentrant {
        if (!poolCancelled[taskId]) revert TaskPoolNotCancelled(taskId);
        uint256 amount = fundedBy[taskId][msg.sender];
        if (amount == 0) revert NothingToRefund(taskId, msg.sender);
        fundedBy[taskId][msg.sender] = 0;
        uint256 poolTotal = taskPool[taskId] - amount;
        taskPool[taskId] = poolTotal;
        pooledTotal -= amount;
        flock.safeTransfer(msg.sender, amount);
        emit TaskFundingRefunded(taskId, msg.sender, amount, poolTotal);
    }

    /// @notice Posts an epoch's report hash and reward roots with `total`, the sum of every leaf amount of
    /// both trees; each epoch is posted once. `poolAmounts[i]` of the total is drawn from the pool of task
    /// `poolTaskIds[i]` (at most what it holds); the rest, total − Σ poolAmounts, must fit in the emission not
    /// yet promised (`unallocated()`). The whole total is then reserved for this epoch. An epoch that pays
    /// nothing has total 0 and two zero roots; a positive total needs at least one non-zero root (FLOCK
    /// reserved behind no root could never be claimed) and a non-zero root a positive total.
    function postEpochRoot(
        uint256 epoch,
        bytes32 liquidRoot,
        bytes32 vestingRoot,
        bytes32 reportHash,
        uint256 total,
        uint256[] calldata poolTaskIds,
        uint256[] calldata poolAmounts
    ) external onlyRole(COORDINATOR_ROLE) {
        if (epochs[epoch].postedAt != 0) revert EpochAlreadyPosted(epoch);
        bool empty = liquidRoot == bytes32(0) && vestingRoot == bytes32(0);
        if (empty != (total == 0)) revert EpochTotalMismatch(epoch, total);
        _reserve(epoch, total, poolTaskIds, poolAmounts);
        epochs[epoch] =
            Epoch(liquidRoot, vestingRoot, reportHash, uint64(block.timestamp), vestingDuration, total, 0);
        emit EpochRootPosted(epoch, liquidRoot, vestingRoot, reportHash, vestingDuration, total);
    }

    /// @notice Emission FLOCK held here that no posted epoch has promised yet (mints and plain transfers in):
    /// balance − outstanding − Σ task pools, what the next epochs may pay beyond their tasks' own pools.
    function unallocated() public view returns (uint256) {
        return flock.balanceOf(address(this)) - outstanding - pooledTotal;
    }

    /// @notice Leaf of the reward trees: keccak256(bytes.concat(keccak256(abi.encode(epoch, account, amount)))).
    function leafOf(uint256 epoch, address account, uint256 amount) public pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(epoch, account, amount))));
    }

    /// @notice Part of `amount` released so far: all of it for the liquid tree, amount·elapsed/duration
    /// (floor, capped at amount) for the vesting tree.
    function vestedOf(uint256 epoch, uint8 tree, uint256 amount) public view returns (uint256) {
        Epoch storage e = epochs[epoch];
        if (e.postedAt == 0) revert EpochNotPosted(epoch);
        if (tree == TREE_LIQUID) return amount;
        if (tree != TREE_VESTING) revert InvalidTree(tree);
        uint256 elapsed = block.timestamp - e.postedAt;
        if (elapsed >= e.vestingDuration) return amount;
        return (amount * elapsed) / e.vestingDuration;
    }

    /// @notice Pays `account` what it may claim now of its `amount` in `tree` of `epoch`.
    function claim(uint256 epoch, uint8 tree, address account, uint256 amount, bytes32[] calldata proof)
        external
        nonReentrant
        returns (uint256 paid)
    {
        Epoch storage e = epochs[epoch];
        if (e.postedAt == 0) revert EpochNotPosted(epoch);
        bytes32 root;
        if (tree == TREE_LIQUID) root = e.liquidRoot;
        else if (tree == TREE_VESTING) root = e.vestingRoot;
        else revert InvalidTree(tree);
        if (root == bytes32(0)) revert EmptyTree(epoch, tree);
        if (!MerkleProof.verify(proof, root, leafOf(epoch, account, amount))) {
            revert InvalidProof(epoch, tree, account, amount);
        }

        uint256 already = claimed[epoch][tree][account];
        uint256 vested = vestedOf(epoch, tree, amount);
        if (vested <= already) revert NothingToClaim(epoch, tree, account);
        uint256 gross = vested - already;
        claimed[epoch][tree][account] = vested;
        // an epoch pays at most its declared total, so an inconsistent root cannot spend other epochs' FLOCK
        uint256 claimedTotal = e.claimedTotal + gross;
        if (claimedTotal > e.total) revert EpochOverclaimed(epoch, e.total);
        e.claimedTotal = claimedTotal;
        outstanding -= gross;

        // fee = floor(gross·claimFeeBps/10000), to the treasury
        uint256 fee = (gross * claimFeeBps) / BPS;
        paid = gross - fee;
        flock.safeTransfer(account, paid);
        if (fee > 0) flock.safeTransfer(treasury, fee);
        emit Claimed(epoch, account, tree, gross, fee, vested);
    }

    /// @notice Sets the claim fee in bps (at most MAX_CLAIM_FEE_BPS).
    function setClaimFee(uint16 claimFeeBps_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setClaimFee(claimFeeBps_);
    }

    /// @notice Sets the vesting duration (seconds) applied to epochs posted from now on.
    function setVestingDuration(uint64 vestingDuration_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setVestingDuration(vestingDuration_);
    }

    /// @notice Sets the treasury that receives claim fees.
    function setTreasury(address treasury_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (treasury_ == address(0)) revert ZeroAddress();
        treasury = treasury_;
        emit TreasurySet(treasury_);
    }

    /// Reserves `total` for `epoch`: the draws from task pools, and the rest (the emission part) out of
    /// unallocated(), which is read before the draws move pooled FLOCK into outstanding (a draw leaves
    /// balance − outstanding − pooledTotal unchanged).
    function _reserve(uint256 epoch, uint256 total, uint256[] calldata poolTaskIds, uint256[] calldata poolAmounts)
        internal
    {
        uint256 available = unallocated();
        uint256 pooled = _drawPools(epoch, poolTaskIds, poolAmounts);
        if (pooled > total) revert PoolDrawsExceedTotal(epoch, pooled, total);
        uint256 fromEmission = total - pooled;
        if (fromEmission > available) revert InsufficientRewards(fromEmission, available);
        outstanding += total;
    }

    /// Takes each draw from its task's pool (at most what the pool holds); returns Σ draws.
    function _drawPools(uint256 epoch, uint256[] calldata poolTaskIds, uint256[] calldata poolAmounts)
        internal
        returns (uint256 pooled)
    {
        if (poolTaskIds.length != poolAmounts.length) {
            revert PoolDrawsMismatch(poolTaskIds.length, poolAmounts.length);
        }
        for (uint256 i = 0; i < poolTaskIds.length; i++) {
            uint256 taskId = poolTaskIds[i];
            uint256 amount = poolAmounts[i];
            if (poolCancelled[taskId]) revert PoolCancelled(taskId);
            uint256 held = taskPool[taskId];
            if (amount > held) revert InsufficientTaskPool(taskId, amount, held);
            taskPool[taskId] = held - amount;
            poolBound[taskId] = true;
            pooled += amount;
            emit TaskPoolDrawn(epoch, taskId, amount, held - amount);
        }
        pooledTotal -= pooled;
    }

    function _setClaimFee(uint16 claimFeeBps_) internal {
        if (claimFeeBps_ > MAX_CLAIM_FEE_BPS) revert ClaimFeeTooHigh(claimFeeBps_, MAX_CLAIM_FEE_BPS);
        claimFeeBps = claimFeeBps_;
        emit ClaimFeeSet(claimFeeBps_);
    }

    function _setVestingDuration(uint64 vestingDuration_) internal {
        if (vestingDuration_ > MAX_VESTING_DURATION) {
            revert VestingDurationTooLong(vestingDuration_, MAX_VESTING_DURATION);
        }
        vestingDuration = vestingDuration_;
        emit VestingDurationSet(vestingDuration_);
    }
}
