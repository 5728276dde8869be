/**
 * PowerShare on a public chain (Polygon Amoy 80002, Polygon PoS 137): the protocol (see
 * ../protocol.ts) against the chain's existing USDC.
 *
 *   hardhat ignition deploy ignition/modules/PowerShare.ts --network amoy \
 *     --parameters ignition/parameters/amoy.json
 *
 * Parameters (module "PowerShare"):
 *   quoteToken       required; the 6-decimal USDC of the chain (see ignition/parameters/*.json)
 *   oracleSigners    required; the oracle nodes' signing addresses
 *   oracleThreshold  k of those signers per report batch, default 1
 *   guardian         optional; defaults to the deployer. The deployer is admin of everything
 *                    (it wires the roles); hand its admin roles to a multisig afterwards.
 *   reportWindow     default 3600 s; governor: votingDelay 3600, votingPeriod 5 days,
 *                    quorumBps 2000, timelockDelay 2 days, gracePeriod 14 days
 */
import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { deployProtocol } from "../protocol.ts";

const DAY = 24 * 3600;

export default buildModule("PowerShare", (m) => {
  const quoteToken = m.getParameter<string>("quoteToken");
  return deployProtocol(
    m,
    quoteToken,
    {
      reportWindow: 3600,
      votingDelay: 3600,
      votingPeriod: 5 * DAY,
      quorumBps: 2000,
      timelockDelay: 2 * DAY,
      gracePeriod: 14 * DAY,
    },
    m.getParameter<string[]>("oracleSigners"),
    m.getParameter("oracleThreshold", 1),
  );
});
