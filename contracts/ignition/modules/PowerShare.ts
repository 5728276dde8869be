/**
 * PowerShare on a public chain (Polygon Amoy 80002, Polygon PoS 137): EnergyMarket against an
 * existing quote token (USDC).
 *
 *   hardhat ignition deploy ignition/modules/PowerShare.ts --network amoy \
 *     --parameters ignition/parameters/amoy.json
 *
 * Parameters (module "PowerShare"):
 *   quoteToken  required; the 6-decimal USDC of the chain (see ignition/parameters/*.json)
 *   admin       optional; DEFAULT_ADMIN_ROLE holder, defaults to the deployer
 *   guardian    optional; GUARDIAN_ROLE holder (pause/unpause), defaults to the deployer
 */
import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { deployEnergyMarket } from "../energy-market.ts";

export default buildModule("PowerShare", (m) => {
  const quoteToken = m.getParameter<string>("quoteToken");
  const energyMarket = deployEnergyMarket(m, quoteToken);
  return { energyMarket };
});
