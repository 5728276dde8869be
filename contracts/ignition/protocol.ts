/**
 * The PowerShare protocol both modules deploy (PowerShare for public chains, LocalStack for dev):
 * EnergyMarket; DeliverySettlement holding the market's SETTLER_ROLE with its oracle signers and
 * threshold; the Chainlink Automation-compatible SettlementKeeper; and the TreasuryGovernor, named
 * once as the market's only treasurer. The deployer (account 0) is admin of everything so that it
 * can wire the roles; hand the admin roles to multisigs afterwards (docs/deploy.md).
 */
import type { ArgumentType, IgnitionModuleBuilder } from "@nomicfoundation/ignition-core";
import { keccak256, toBytes } from "viem";

export const SETTLER_ROLE = keccak256(toBytes("SETTLER_ROLE"));
export const TREASURER_ROLE = keccak256(toBytes("TREASURER_ROLE"));

export interface ProtocolDefaults {
  reportWindow: number; // seconds after a slot's end during which reports are accepted
  votingDelay: number;
  votingPeriod: number;
  quorumBps: number;
  timelockDelay: number;
  gracePeriod: number;
}

/**
 * Deploys and wires the protocol with the given oracle signers and threshold. Module parameters
 * (optional, defaults from `defaults`): guardian, reportWindow, votingDelay, votingPeriod,
 * quorumBps, timelockDelay, gracePeriod.
 */
export function deployProtocol(
  m: IgnitionModuleBuilder,
  quoteToken: ArgumentType,
  defaults: ProtocolDefaults,
  oracleSigners: ArgumentType,
  oracleThreshold: ArgumentType,
) {
  const deployer = m.getAccount(0);
  const energyMarket = m.contract("EnergyMarket", [
    quoteToken,
    deployer,
    m.getParameter("guardian", deployer),
  ]);

  const settlement = m.contract("DeliverySettlement", [
    energyMarket,
    deployer,
    m.getParameter("reportWindow", defaults.reportWindow),
  ]);
  const grantSettler = m.call(energyMarket, "grantRole", [SETTLER_ROLE, settlement], {
    id: "GrantSettlerRole",
  });
  const addSigners = m.call(settlement, "setOracleSigners", [oracleSigners, oracleThreshold], {
    id: "SetOracleSigners",
    after: [grantSettler],
  });
  const keeper = m.contract("SettlementKeeper", [settlement], { after: [addSigners] });

  const treasuryGovernor = m.contract("TreasuryGovernor", [
    energyMarket,
    m.getParameter("votingDelay", defaults.votingDelay),
    m.getParameter("votingPeriod", defaults.votingPeriod),
    m.getParameter("quorumBps", defaults.quorumBps),
    m.getParameter("timelockDelay", defaults.timelockDelay),
    m.getParameter("gracePeriod", defaults.gracePeriod),
  ]);
  m.call(energyMarket, "setTreasuryGovernor", [treasuryGovernor], { id: "SetTreasuryGovernor" });

  return { energyMarket, settlement, keeper, treasuryGovernor };
}
