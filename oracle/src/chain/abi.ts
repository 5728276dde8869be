/**
 * The contracts' interface as the oracle uses it: the market's and the settlement's ABIs from
 * `@powershare/contracts` (built from the Solidity sources), in one list so that the report sink,
 * the meter directory and the sales view decode every call, event and error of either contract.
 */
import { deliverySettlementAbi, energyMarketAbi } from "@powershare/contracts";

export const marketAbi = [...energyMarketAbi, ...deliverySettlementAbi] as const;
