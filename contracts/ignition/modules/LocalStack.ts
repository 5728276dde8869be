/**
 * The local development stack: a mock USDC (6 decimals, permit, faucet), a Chainlink
 * MockV3Aggregator as the reference price feed, and EnergyMarket quoting in the mock USDC.
 *
 *   hardhat ignition deploy ignition/modules/LocalStack.ts --network localhost
 *
 * Parameters (module "LocalStack"), all optional:
 *   feedDecimals    the feed's decimals, default 8 (as Chainlink USD feeds)
 *   referencePrice  the feed's initial answer in quote tokens per kWh, default 25000000n (0.25 / kWh)
 *   admin, guardian as in PowerShare, default the deployer
 */
import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { mockV3AggregatorArtifact } from "../npm-artifact.ts";
import { deployEnergyMarket } from "../energy-market.ts";

export const REFERENCE_FEED_DECIMALS = 8;
export const REFERENCE_PRICE = 25_000_000n; // 0.25 quote tokens per kWh at 8 decimals

export default buildModule("LocalStack", (m) => {
  const feedDecimals = m.getParameter("feedDecimals", REFERENCE_FEED_DECIMALS);
  const referencePrice = m.getParameter("referencePrice", REFERENCE_PRICE);
  const quoteToken = m.contract("MockUSDC");
  const referenceFeed = m.contract("MockV3Aggregator", mockV3AggregatorArtifact(), [
    feedDecimals,
    referencePrice,
  ]);
  const energyMarket = deployEnergyMarket(m, quoteToken);
  return { quoteToken, referenceFeed, energyMarket };
});
