// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;
import {Hello} from "../src/Hello.sol";
contract HelloTest {
    Hello h;
    function setUp() public {
        h = new Hello();
    }
    function testFuzz_set(uint256 v) public {
        h.set(v);
        require(h.x() == v);
    }
}
