/** The EnergyMarket deployment both modules share (PowerShare for public chains, LocalStack for dev). */
import type { ArgumentType, IgnitionModuleBuilder } from "@nomicfoundation/ignition-core";

/**
 * Deploys EnergyMarket(quoteToken, admin, guardian). `admin` and `guardian` are module parameters
 * that default to the deployer (account 0); hand them to multisigs after a public deployment
 * (docs/deploy.md).
 */
export function deployEnergyMarket(m: IgnitionModuleBuilder, quoteToken: ArgumentType) {
  const deployer = m.getAccount(0);
  const admin = m.getParameter("admin", deployer);
  const guardian = m.getParameter("guardian", deployer);
  return m.contract("EnergyMarket", [quoteToken, admin, guardian]);
}
