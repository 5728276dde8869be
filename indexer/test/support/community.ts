/** A funded community on a fresh stack, for the benchmark and tests that need plain order flow. */
import { encodeFunctionData, type Address, type Hex } from "viem";
import { accountAt, energyMarketAbi, mockUsdcAbi, registerMeter, type Stack } from "./chain.ts";

/** Community parameters: 15-minute slots, a week's horizon, tick 1,000, 1% fee, no price band. */
export const COMMUNITY_PARAMS = {
  slotLength: 900,
  gateLead: 300,
  horizon: 7 * 86400,
  tickSize: 1000n,
  minOrderWh: 1n,
  bondPerKwh: 1000n,
  feeBps: 100,
  priceFeed: "0x0000000000000000000000000000000000000000",
  bandBps: 0,
  maxFeedAge: 0,
} as const;

/** Calldata of a limit order in community 1, for `multicall` batches or a raw transaction. */
export function placeOrderCall(order: {
  slotStart: bigint | number;
  isBid: boolean;
  tick: number;
  amountWh: bigint;
  meterId: number;
}): Hex {
  return encodeFunctionData({
    abi: energyMarketAbi,
    functionName: "placeOrder",
    args: [{ communityId: 1, orderType: 0, ...order, slotStart: Number(order.slotStart) }],
  });
}

/**
 * Mints, approves and deposits `funds` for each trader, creates community 1 (`name`,
 * COMMUNITY_PARAMS), joins every trader and registers a meter each. Returns each trader's meter id.
 */
export async function openCommunity(
  stack: Stack,
  traders: Address[],
  name: string,
  funds = 10n ** 15n,
): Promise<Map<Address, number>> {
  const { market } = stack;
  for (const t of traders) {
    await stack.send(stack.usdc, mockUsdcAbi, "mint", [t, funds]);
    await stack.send(stack.usdc, mockUsdcAbi, "approve", [market, funds], t);
    await stack.send(market, energyMarketAbi, "deposit", [funds], t);
  }
  await stack.send(market, energyMarketAbi, "createCommunity", [name, COMMUNITY_PARAMS]);
  const meterOf = new Map<Address, number>();
  let id = 0;
  for (const t of traders) {
    await stack.send(market, energyMarketAbi, "join", [1], t);
    await registerMeter(stack, t, {
      communityId: 1,
      kind: 2,
      capacityW: 10_000,
      deviceKey: accountAt(30).address,
    });
    meterOf.set(t, ++id);
  }
  return meterOf;
}
