/**
 * Many EnergyMarket view calls in one eth_call, through the market's own `multicall` (OpenZeppelin
 * Multicall; no Multicall3 needed, so it works on any chain the market is deployed on).
 */
import { decodeFunctionResult, encodeFunctionData, type Hex } from "viem";
import { energyMarketAbi } from "../../index.ts";
import { toPowerShareError } from "../errors/decoder.ts";
import type { SdkContext } from "../context.ts";

const CHUNK = 300;

/** Calls `functionName` once per argument list; results in the same order. */
export async function marketReadMany<T>(
  ctx: SdkContext,
  functionName: string,
  argsList: readonly (readonly unknown[])[],
): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < argsList.length; i += CHUNK) {
    const calls = argsList
      .slice(i, i + CHUNK)
      .map((args) => encodeFunctionData({ abi: energyMarketAbi, functionName, args } as never) as Hex);
    let results: readonly Hex[];
    try {
      const { data } = await ctx.publicClient.call({
        to: ctx.addresses.market,
        data: encodeFunctionData({ abi: energyMarketAbi, functionName: "multicall", args: [calls] }),
      });
      results = decodeFunctionResult({ abi: energyMarketAbi, functionName: "multicall", data: data ?? "0x" });
    } catch (err) {
      throw toPowerShareError(err);
    }
    for (const data of results) {
      out.push(decodeFunctionResult({ abi: energyMarketAbi, functionName, data } as never) as T);
    }
  }
  return out;
}
