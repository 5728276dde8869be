/**
 * The demo scenario `npm run dev` seeds: one community, five members with one meter each, and a few
 * resting bids and asks on the next delivery slots. Plain data, so tests can assert against it.
 */

/** Quote token base units (6 decimals). */
export const USDC = 1_000_000n;

export const DEMO_COMMUNITY = {
  name: "Sunny Street Energy Cooperative",
  params: {
    slotLength: 900, // 15 min delivery slots
    gateLead: 300, // the market closes 5 min before its slot starts
    horizon: 48 * 3600, // markets open 48 h ahead
    tickSize: 1_000n, // 0.001 USDC per kWh between ticks
    minOrderWh: 100n,
    bondPerKwh: 10_000n, // 0.01 USDC bonded per kWh offered
    feeBps: 100, // 1 % community fee on delivered energy
    bandBps: 2_000, // orders within ±20 % of the reference price
    maxFeedAge: 7 * 24 * 3600, // the mock feed is never updated; a week keeps it fresh for dev
  },
} as const;

/** The community admin / operator: dev account #0 (also deployer, market admin and guardian). */
export const OPERATOR_INDEX = 0;
/**
 * The demo community's meter registrar (an installer's key): dev account #19. It signs the meter
 * certificates members register their meters with (DeliverySettlement.registerMeter); it owns no
 * meter, since a registrar may not certify its own.
 */
export const DEV_METER_REGISTRAR_INDEX = 19;
/** Dev accounts #0..#9 get wallet USDC; members also deposit into the market. */
export const FUNDED_ACCOUNTS = 10;
export const WALLET_FUNDING = 10_000n * USDC;
export const MEMBER_DEPOSIT = 2_000n * USDC;

export type MeterKindName = "producer" | "consumer" | "prosumer" | "storage";
export const METER_KIND_INDEX: Record<MeterKindName, number> = {
  producer: 0,
  consumer: 1,
  prosumer: 2,
  storage: 3,
};

export interface DemoMember {
  name: string;
  accountIndex: number;
  meter: { kind: MeterKindName; capacityW: number };
  /** Resting orders placed on each seeded slot k (ticks shift by k so slots differ). */
  asks: { tick: number; amountWh: bigint }[];
  bids: { tick: number; amountWh: bigint }[];
}

export const DEMO_MEMBERS: DemoMember[] = [
  {
    name: "Alice (rooftop PV, household)",
    accountIndex: 1,
    meter: { kind: "prosumer", capacityW: 6_000 },
    asks: [{ tick: 260, amountWh: 1_500n }],
    bids: [],
  },
  {
    name: "Bob (PV on a barn)",
    accountIndex: 2,
    meter: { kind: "producer", capacityW: 10_000 },
    asks: [{ tick: 270, amountWh: 3_000n }],
    bids: [],
  },
  {
    name: "Carol (household)",
    accountIndex: 3,
    meter: { kind: "consumer", capacityW: 4_000 },
    asks: [],
    bids: [{ tick: 240, amountWh: 1_200n }],
  },
  {
    name: "Dave (household with EV)",
    accountIndex: 4,
    meter: { kind: "consumer", capacityW: 11_000 },
    asks: [],
    bids: [{ tick: 230, amountWh: 2_500n }],
  },
  {
    name: "Erin (community battery)",
    accountIndex: 5,
    meter: { kind: "storage", capacityW: 10_000 },
    asks: [{ tick: 285, amountWh: 2_000n }],
    bids: [{ tick: 215, amountWh: 1_000n }],
  },
];

/** How many upcoming slots get resting orders. */
export const SEEDED_SLOTS = 4;
/** The first seeded slot's gate is at least this far in the future when seeding starts. */
export const GATE_MARGIN_SECONDS = 120;

/** One taker trade on the first slot: Dave buys from the best ask with an immediate-or-cancel bid. */
export const DEMO_TRADE = { buyerAccountIndex: 4, tick: 265, amountWh: 500n } as const;

export const ORDER_TYPE = { Limit: 0, ImmediateOrCancel: 1, FillOrKill: 2, PostOnly: 3 } as const;
