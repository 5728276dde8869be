/** A community's market parameters (immutable after CommunityCreated). */
import { BigInt, log } from "@graphprotocol/graph-ts";
import { Community } from "../../generated/schema";

export class Params {
  /** quote base units per Wh per tick = tickSize / 1000 */
  unit: BigInt = BigInt.zero();
  tickSize: BigInt = BigInt.zero();
  bondPerWh: BigInt = BigInt.zero();
  gateLead: BigInt = BigInt.zero();
  horizon: BigInt = BigInt.zero();
}

export function communityParams(communityId: i32): Params {
  const c = Community.load(communityId.toString());
  if (c == null) {
    log.critical("community {} not indexed", [communityId.toString()]);
    return new Params();
  }
  const p = new Params();
  p.tickSize = c.tickSize;
  p.unit = c.tickSize.div(BigInt.fromI32(1000));
  p.bondPerWh = c.bondPerWh;
  p.gateLead = BigInt.fromI32(c.gateLead);
  p.horizon = BigInt.fromI32(c.horizon);
  return p;
}
