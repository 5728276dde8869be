// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {MockV3Aggregator} from "@chainlink/contracts/src/v0.8/tests/MockV3Aggregator.sol";

/// @title ReferencePriceFeed
/// @notice Chainlink's mock aggregator as a project contract, so tests and the local stack can
/// deploy a reference price feed (quote tokens per kWh).
contract ReferencePriceFeed is MockV3Aggregator {
    constructor(uint8 decimals_, int256 initialAnswer) MockV3Aggregator(decimals_, initialAnswer) {}
}
