/** SettlementKeeper: the Chainlink Automation path's runs. */
import { UpkeepPerformed } from "../../generated/SettlementKeeper/SettlementKeeper";
import { Upkeep } from "../../generated/schema";
import { eventId } from "../lib/ids";

export function handleUpkeepPerformed(event: UpkeepPerformed): void {
  const u = new Upkeep(eventId(event));
  u.marketId = event.params.marketId;
  u.sellers = event.params.sellers.toI32();
  u.timestamp = event.block.timestamp;
  u.save();
}
