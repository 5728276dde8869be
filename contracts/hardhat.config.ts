import { createRequire } from "node:module";
import hardhatToolboxViem from "@nomicfoundation/hardhat-toolbox-viem";
import { configVariable, defineConfig } from "hardhat/config";

const require = createRequire(import.meta.url);
const solc = require("solc/package.json") as { version: string };

const compiler = {
  version: solc.version,
  path: require.resolve("solc/soljson.js"),
  settings: { optimizer: { enabled: true, runs: 200 }, viaIR: true, evmVersion: "cancun" },
};

export default defineConfig({
  plugins: [hardhatToolboxViem],
  paths: { sources: "src", tests: { solidity: "test", nodejs: "test" } },
  solidity: {
    profiles: {
      default: compiler,
      // Deployments: the same compiler and settings, one isolated job per contract, so that block
      // explorers can verify each contract from its own build info.
      production: { ...compiler, isolated: true },
    },
    // Chainlink's mock aggregator is the local reference price feed: emit its artifact.
    npmFilesToBuild: ["@chainlink/contracts/src/v0.8/tests/MockV3Aggregator.sol"],
  },
  verify: { etherscan: { apiKey: configVariable("ETHERSCAN_API_KEY") } },
  test: {
    solidity: {
      fuzz: { runs: 256 },
      invariant: { runs: 48, depth: 48, failOnRevert: false },
    },
  },
  networks: {
    localhost: { type: "http", chainType: "l1", url: "http://127.0.0.1:8545" },
    amoy: {
      type: "http",
      chainType: "l1",
      chainId: 80002,
      url: configVariable("AMOY_RPC_URL"),
      accounts: [configVariable("DEPLOYER_PRIVATE_KEY")],
    },
    polygon: {
      type: "http",
      chainType: "l1",
      chainId: 137,
      url: configVariable("POLYGON_RPC_URL"),
      accounts: [configVariable("DEPLOYER_PRIVATE_KEY")],
    },
  },
});
