// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice An ERC-20 with configurable decimals whose transfers can be switched to move nothing
/// while still returning true (a token that delivers zero).
contract OddToken is ERC20 {
    uint8 private immutable DECIMALS;
    bool public swallow;

    constructor(uint8 decimals_) ERC20("Odd", "ODD") {
        DECIMALS = decimals_;
    }

    function decimals() public view override returns (uint8) {
        return DECIMALS;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function setSwallow(bool on) external {
        swallow = on;
    }

    function transferFrom(address from, address to, uint256 value) public override returns (bool) {
        if (swallow) return true;
        return super.transferFrom(from, to, value);
    }
}
