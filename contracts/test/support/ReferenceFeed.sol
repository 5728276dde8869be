// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {MockV3Aggregator} from "@chainlink/contracts/src/v0.8/tests/MockV3Aggregator.sol";

/// @notice Chainlink's MockV3Aggregator under a project-local name: Hardhat 3 emits artifacts only
/// for project files, so importing it in src/mocks/ReferencePriceFeed.sol yields no deployable artifact.
contract TestReferenceFeed is MockV3Aggregator {
    constructor(uint8 decimals_, int256 initialAnswer) MockV3Aggregator(decimals_, initialAnswer) {}
}
