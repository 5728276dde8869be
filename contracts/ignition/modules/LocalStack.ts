/**
 * The local development stack: a mock USDC (6 decimals, permit, faucet), a Chainlink
 * MockV3Aggregator as the reference price feed, EnergyMarket quoting in the mock USDC, and the
 * protocol around it — DeliverySettlement (k-of-n oracle reports, pooled settlement; holds the
 * market's SETTLER_ROLE), SettlementKeeper (Chainlink Automation-compatible) and TreasuryGovernor
 * (member votes over community treasuries; holds TREASURER_ROLE) — with one oracle signer, k = 1.
 *
 *   hardhat ignition deploy ignition/modules/LocalStack.ts --network localhost
 *
 * The deployer (account 0) is admin of everything, so it can wire the roles. Parameters (module
 * "LocalStack"), all optional:
 *   feedDecimals    the feed's decimals, default 8 (as Chainlink USD feeds)
 *   referencePrice  the feed's initial answer in quote tokens per kWh, default 25000000n (0.25 / kWh)
 *   oracleSigner    the oracle's signing address, default account 9
 *   reportWindow    seconds after a slot's end during which reports are accepted, default 3600
 *   votingDelay, votingPeriod, quorumBps, timelockDelay, gracePeriod   TreasuryGovernor's settings
 */
import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { keccak256, toBytes } from "viem";
import { mockV3AggregatorArtifact, projectHasFunction } from "../npm-artifact.ts";
import { deployEnergyMarket } from "../energy-market.ts";

export const REFERENCE_FEED_DECIMALS = 8;
export const REFERENCE_PRICE = 25_000_000n; // 0.25 quote tokens per kWh at 8 decimals
export const ORACLE_SIGNER_ACCOUNT = 9;
export const SETTLER_ROLE = keccak256(toBytes("SETTLER_ROLE"));
export const TREASURER_ROLE = keccak256(toBytes("TREASURER_ROLE"));

export default buildModule("LocalStack", (m) => {
  const deployer = m.getAccount(0);
  const feedDecimals = m.getParameter("feedDecimals", REFERENCE_FEED_DECIMALS);
  const referencePrice = m.getParameter("referencePrice", REFERENCE_PRICE);
  const quoteToken = m.contract("MockUSDC");
  const referenceFeed = m.contract("MockV3Aggregator", mockV3AggregatorArtifact(), [
    feedDecimals,
    referencePrice,
  ]);
  const energyMarket = deployEnergyMarket(m, quoteToken);

  const settlement = m.contract("DeliverySettlement", [
    energyMarket,
    deployer,
    m.getParameter("reportWindow", 3600),
  ]);
  m.call(energyMarket, "grantRole", [SETTLER_ROLE, settlement], { id: "GrantSettlerRole" });
  m.call(
    settlement,
    "setOracleSigner",
    [m.getParameter("oracleSigner", m.getAccount(ORACLE_SIGNER_ACCOUNT)), true],
    {
      id: "AddOracleSigner",
    },
  );
  const keeper = m.contract("SettlementKeeper", [settlement]);

  const treasuryGovernor = m.contract("TreasuryGovernor", [
    energyMarket,
    m.getParameter("votingDelay", 0),
    m.getParameter("votingPeriod", 3600),
    m.getParameter("quorumBps", 2000),
    m.getParameter("timelockDelay", 600),
    m.getParameter("gracePeriod", 7 * 24 * 3600),
  ]);
  // The market names its treasury governor once with setTreasuryGovernor; builds from before that
  // function existed granted TREASURER_ROLE directly.
  if (projectHasFunction("src/EnergyMarket.sol", "EnergyMarket", "setTreasuryGovernor")) {
    m.call(energyMarket, "setTreasuryGovernor", [treasuryGovernor], { id: "SetTreasuryGovernor" });
  } else {
    m.call(energyMarket, "grantRole", [TREASURER_ROLE, treasuryGovernor], { id: "GrantTreasurerRole" });
  }

  return { quoteToken, referenceFeed, energyMarket, settlement, keeper, treasuryGovernor };
});
