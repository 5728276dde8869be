/**
 * The local development stack: a mock USDC (6 decimals, permit, faucet), a Chainlink
 * MockV3Aggregator as the reference price feed, and the protocol quoting in the mock USDC (see
 * ../protocol.ts) with one oracle signer (account 9), k = 1, and short governance timings.
 *
 *   hardhat ignition deploy ignition/modules/LocalStack.ts --network localhost
 *
 * Parameters (module "LocalStack"), all optional:
 *   feedDecimals    the feed's decimals, default 8 (as Chainlink USD feeds)
 *   referencePrice  the feed's initial answer in quote tokens per kWh, default 25000000n (0.25 / kWh)
 *   and those of deployProtocol (guardian, reportWindow, governor timings).
 */
import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { mockV3AggregatorArtifact } from "../npm-artifact.ts";
import { deployProtocol } from "../protocol.ts";

export { SETTLER_ROLE, TREASURER_ROLE } from "../protocol.ts";

export const REFERENCE_FEED_DECIMALS = 8;
export const REFERENCE_PRICE = 25_000_000n; // 0.25 quote tokens per kWh at 8 decimals
export const ORACLE_SIGNER_ACCOUNT = 9;

export default buildModule("LocalStack", (m) => {
  const quoteToken = m.contract("MockUSDC");
  const referenceFeed = m.contract("MockV3Aggregator", mockV3AggregatorArtifact(), [
    m.getParameter("feedDecimals", REFERENCE_FEED_DECIMALS),
    m.getParameter("referencePrice", REFERENCE_PRICE),
  ]);
  const protocol = deployProtocol(
    m,
    quoteToken,
    {
      reportWindow: 3600,
      votingDelay: 0,
      votingPeriod: 3600,
      quorumBps: 2000,
      timelockDelay: 600,
      gracePeriod: 7 * 24 * 3600,
    },
    [m.getAccount(ORACLE_SIGNER_ACCOUNT)],
    1,
  );
  return { quoteToken, referenceFeed, ...protocol };
});
