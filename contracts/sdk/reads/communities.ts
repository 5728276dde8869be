/** Reads of communities, membership and meters. */
import type { Address } from "viem";
import { energyMarketAbi } from "../../index.ts";
import { toPowerShareError } from "../errors/decoder.ts";
import { InvalidInputError, PreflightError } from "../errors/sdk-errors.ts";
import type { SdkContext } from "../context.ts";
import { marketReadMany } from "./batch.ts";

export interface Community {
  id: number;
  /** From the CommunityCreated event (only when asked for: it costs a log query). */
  name?: string | undefined;
  slotLength: number;
  gateLead: number;
  horizon: number;
  /** Quote base units per kWh between adjacent ticks. */
  tickSize: bigint;
  minOrderWh: bigint;
  /** Seller bond per Wh offered, quote base units. */
  bondPerWh: bigint;
  /** The fee of markets whose slot starts before `nextFeeFrom` (of all markets when none is scheduled). */
  feeBps: number;
  /** A scheduled fee change: `nextFeeBps` for the markets of slots from `nextFeeFrom` on (unix s). */
  nextFeeBps: number | undefined;
  nextFeeFrom: number | undefined;
  bandBps: number;
  priceFeed: Address;
  maxFeedAge: number;
  /** Order entry halted by the guardian in this community (a market-wide pause is `isMarketPaused`). */
  halted: boolean;
  reputationBonds: boolean;
  admin: Address;
  members: number;
}

export const METER_KINDS = ["producer", "consumer", "prosumer", "storage"] as const;
export type MeterKind = (typeof METER_KINDS)[number];

export interface Meter {
  id: number;
  owner: Address;
  communityId: number;
  kind: MeterKind;
  active: boolean;
  capacityW: number;
  deviceKey: Address;
}

type RawCommunity = {
  slotLength: number;
  gateLead: number;
  horizon: number;
  tickSize: bigint;
  minOrderWh: number;
  feeBps: number;
  bandBps: number;
  bondPerWh: number;
  halted: number;
  reputationBonds: boolean;
  feeScheduled: boolean;
  priceFeed: Address;
  maxFeedAge: number;
  nextFeeBps: number;
  nextFeeFrom: number;
  admin: Address;
  members: number;
};

function toCommunity(id: number, c: RawCommunity): Community {
  return {
    id,
    slotLength: Number(c.slotLength),
    gateLead: Number(c.gateLead),
    horizon: Number(c.horizon),
    tickSize: BigInt(c.tickSize),
    minOrderWh: BigInt(c.minOrderWh),
    bondPerWh: BigInt(c.bondPerWh),
    feeBps: Number(c.feeBps),
    nextFeeBps: c.feeScheduled ? Number(c.nextFeeBps) : undefined,
    nextFeeFrom: c.feeScheduled ? Number(c.nextFeeFrom) : undefined,
    bandBps: Number(c.bandBps),
    priceFeed: c.priceFeed,
    maxFeedAge: Number(c.maxFeedAge),
    halted: Number(c.halted) !== 0,
    reputationBonds: c.reputationBonds,
    admin: c.admin,
    members: Number(c.members),
  };
}

function checkCommunityId(id: number): void {
  if (!Number.isInteger(id) || id < 1 || id > 0xffffffff) {
    throw new InvalidInputError(`community id must be a positive integer, got ${id}`);
  }
}

/** A community's parameters; throws PreflightError UNKNOWN_COMMUNITY if it does not exist. */
export async function getCommunity(ctx: SdkContext, communityId: number): Promise<Community> {
  checkCommunityId(communityId);
  let raw: RawCommunity;
  try {
    raw = (await ctx.publicClient.readContract({
      address: ctx.addresses.market,
      abi: energyMarketAbi,
      functionName: "community",
      args: [communityId],
    })) as unknown as RawCommunity;
  } catch (err) {
    throw toPowerShareError(err);
  }
  if (Number(raw.slotLength) === 0) {
    throw new PreflightError("UNKNOWN_COMMUNITY", `community ${communityId} does not exist`, { communityId });
  }
  return toCommunity(communityId, raw);
}

/** Names of communities from their CommunityCreated events. */
export async function communityNames(ctx: SdkContext): Promise<Map<number, string>> {
  const logs = await ctx.publicClient.getContractEvents({
    address: ctx.addresses.market,
    abi: energyMarketAbi,
    eventName: "CommunityCreated",
    fromBlock: ctx.addresses.startBlock ?? 0n,
    toBlock: "latest",
  });
  const names = new Map<number, string>();
  for (const l of logs) {
    const args = l.args as { communityId?: number; name?: string };
    if (args.communityId !== undefined) names.set(Number(args.communityId), args.name ?? "");
  }
  return names;
}

/** Every community, in id order (one eth_call), optionally with names (one log query). */
export async function listCommunities(ctx: SdkContext, opts: { names?: boolean } = {}): Promise<Community[]> {
  const count = Number(
    await ctx.publicClient.readContract({
      address: ctx.addresses.market,
      abi: energyMarketAbi,
      functionName: "communityCount",
    }),
  );
  const ids = Array.from({ length: count }, (_, i) => i + 1);
  const raws = await marketReadMany<RawCommunity>(
    ctx,
    "community",
    ids.map((id) => [id]),
  );
  const list = raws.map((raw, i) => toCommunity(ids[i]!, raw));
  if (opts.names) {
    const names = await communityNames(ctx);
    for (const c of list) c.name = names.get(c.id);
  }
  return list;
}

/** Whether `account` is a member of the community. */
export async function isMember(ctx: SdkContext, communityId: number, account: Address): Promise<boolean> {
  return ctx.publicClient.readContract({
    address: ctx.addresses.market,
    abi: energyMarketAbi,
    functionName: "isMember",
    args: [communityId, account],
  });
}

type RawMeter = readonly [Address, number, number, boolean, number, Address];

function toMeter(id: number, m: RawMeter): Meter {
  return {
    id,
    owner: m[0],
    communityId: Number(m[1]),
    kind: METER_KINDS[Number(m[2])] ?? "producer",
    active: m[3],
    capacityW: Number(m[4]),
    deviceKey: m[5],
  };
}

/** A meter, or undefined if it is not registered. */
export async function getMeter(ctx: SdkContext, meterId: number): Promise<Meter | undefined> {
  if (!Number.isInteger(meterId) || meterId < 1 || meterId > 0xffffffff) {
    throw new InvalidInputError(`meter id must be a positive integer, got ${meterId}`);
  }
  const raw = (await ctx.publicClient.readContract({
    address: ctx.addresses.market,
    abi: energyMarketAbi,
    functionName: "meter",
    args: [meterId],
  })) as RawMeter;
  if (raw[0] === "0x0000000000000000000000000000000000000000") return undefined;
  return toMeter(meterId, raw);
}

/** Registered meters, filtered by owner and/or community (one eth_call per 300 meters). */
export async function listMeters(
  ctx: SdkContext,
  filter: { owner?: Address | undefined; communityId?: number | undefined } = {},
): Promise<Meter[]> {
  const count = Number(
    await ctx.publicClient.readContract({
      address: ctx.addresses.market,
      abi: energyMarketAbi,
      functionName: "meterCount",
    }),
  );
  const ids = Array.from({ length: count }, (_, i) => i + 1);
  const raws = await marketReadMany<RawMeter>(
    ctx,
    "meter",
    ids.map((id) => [id]),
  );
  return raws
    .map((raw, i) => toMeter(ids[i]!, raw))
    .filter(
      (m) =>
        (filter.owner === undefined || m.owner.toLowerCase() === filter.owner.toLowerCase()) &&
        (filter.communityId === undefined || m.communityId === filter.communityId),
    );
}
