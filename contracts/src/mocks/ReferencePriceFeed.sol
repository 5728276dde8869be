// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

// Chainlink's own mock aggregator, compiled so tests and the local stack can deploy a reference feed.
// solhint-disable-next-line no-unused-import
import {MockV3Aggregator} from "@chainlink/contracts/src/v0.8/tests/MockV3Aggregator.sol";
