// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {FlockToken} from "./FlockToken.sol";

/// @title Daily FLOCK emission.
/// @notice The coordinator triggers one mint per day (at most one per 12 hours, to absorb scheduling
/// jitter); the k-th mint is E0·0.9^floor(k/30) [FLock: ×0.9 every 30 mints], capped by the token's
/// remaining supply. Minted FLOCK goes to the recipient (the reward distributor).
contract Emission is AccessControl {
    bytes32 public constant COORDINATOR_ROLE = keccak256("COORDINATOR_ROLE");
    uint256 public constant MIN_INTERVAL = 12 hours;
    uint256 public constant MINTS_PER_DECAY = 30;
    /// @notice Last decay step computed exactly in 256 bits (10^77 < 2^256 < 10^78): the schedule covers
    /// mints 0 … 2339 (about 6.4 years of daily mints); later mints revert with EmissionScheduleEnded.
    uint256 public constant MAX_DECAY_STEPS = 77;

    FlockToken public immutable token;
    uint256 public immutable initialEmission;
    address public recipient;
    uint256 public mintCount;
    uint64 public lastMintAt;

    event Minted(uint256 indexed mintIndex, address indexed recipient, uint256 amount);
    event RecipientSet(address recipient);

    error ZeroAddress();
    error MintTooSoon(uint64 availableAt);
    error EmissionScheduleEnded(uint256 mintIndex);
    error CapReached();

    constructor(FlockToken token_, uint256 initialEmission_, address recipient_, address admin) {
        if (address(token_) == address(0) || recipient_ == address(0) || admin == address(0)) revert ZeroAddress();
        token = token_;
        initialEmission = initialEmission_;
        recipient = recipient_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @notice Scheduled amount of the k-th mint, before the cap: floor(E0·9^e / 10^e), e = floor(k/30).
    function scheduledEmission(uint256 mintIndex) public view returns (uint256) {
        uint256 e = mintIndex / MINTS_PER_DECAY;
        if (e > MAX_DECAY_STEPS) revert EmissionScheduleEnded(mintIndex);
        // E_k = E0·9^e / 10^e as one floor division (512-bit intermediate, exact)
        return Math.mulDiv(initialEmission, 9 ** e, 10 ** e);
    }

    /// @notice Mints the next daily emission to the recipient: min(E_k, cap − totalSupply).
    function mint() external onlyRole(COORDINATOR_ROLE) returns (uint256 amount) {
        uint64 availableAt = lastMintAt == 0 ? 0 : lastMintAt + uint64(MIN_INTERVAL);
        if (block.timestamp < availableAt) revert MintTooSoon(availableAt);
        uint256 k = mintCount;
        uint256 remaining = token.cap() - token.totalSupply();
        if (remaining == 0) revert CapReached();
        amount = Math.min(scheduledEmission(k), remaining);
        mintCount = k + 1;
        lastMintAt = uint64(block.timestamp);
        token.mint(recipient, amount);
        emit Minted(k, recipient, amount);
    }

    /// @notice Sets the address that receives minted FLOCK.
    function setRecipient(address recipient_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (recipient_ == address(0)) revert ZeroAddress();
        recipient = recipient_;
        emit RecipientSet(recipient_);
    }
}
