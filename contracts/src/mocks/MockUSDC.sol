// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/// @title MockUSDC
/// @notice A 6-decimal, EIP-2612 permit-capable stand-in for USDC on local and test chains, with a
/// rate-limited faucet.
contract MockUSDC is ERC20, ERC20Permit {
    uint256 public constant FAUCET_AMOUNT = 1_000e6;
    uint256 public constant FAUCET_COOLDOWN = 1 hours;

    mapping(address account => uint256) public lastDrip;

    error FaucetCooldown(uint256 availableAt);

    constructor() ERC20("PowerShare Test USD", "USDC") ERC20Permit("PowerShare Test USD") {}

    /// @notice 6 decimals, like USDC.
    function decimals() public pure override returns (uint8) {
        return 6;
    }

    /// @notice Sends FAUCET_AMOUNT to the caller, at most once per FAUCET_COOLDOWN.
    function faucet() external {
        uint256 availableAt = lastDrip[msg.sender] + FAUCET_COOLDOWN;
        if (lastDrip[msg.sender] != 0 && block.timestamp < availableAt) revert FaucetCooldown(availableAt);
        lastDrip[msg.sender] = block.timestamp;
        _mint(msg.sender, FAUCET_AMOUNT);
    }

    /// @notice Mints freely; test chains only.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}
