/**
 * Low-balance warnings: when a withdrawal, an order or a trade takes an address's free balance from
 * at or above its chosen threshold to below it, once per crossing.
 */
import type { Address } from "viem";
import { energyMarketAbi } from "@powershare/contracts";
import { formatQuote, type SdkContext } from "@powershare/contracts/sdk";
import type { NotifierEvent } from "../events.ts";
import type { NotifierStore } from "../store/notifier-store.ts";
import type { BlockInfo, DecodedLog } from "./event-decoder.ts";

const SPENDERS: Record<string, string> = { Withdrawn: "account", OrderPlaced: "owner", Trade: "taker" };

export class LowBalanceWatch {
  private ctx: SdkContext;
  private store: NotifierStore;
  constructor(ctx: SdkContext, store: NotifierStore) {
    this.ctx = ctx;
    this.store = store;
  }

  private async free(account: Address, block: bigint): Promise<bigint> {
    const [free] = (await this.ctx.publicClient.readContract({
      address: this.ctx.addresses.market,
      abi: energyMarketAbi,
      functionName: "balanceOf",
      args: [account],
      blockNumber: block,
    })) as readonly [bigint, bigint];
    return BigInt(free);
  }

  async check(block: bigint, info: BlockInfo, logs: DecodedLog[]): Promise<NotifierEvent[]> {
    const accounts = new Set<Address>();
    for (const l of logs) {
      const field = SPENDERS[l.eventName];
      if (field) accounts.add(String(l.args[field]).toLowerCase() as Address);
    }
    const out: NotifierEvent[] = [];
    for (const account of accounts) {
      const threshold = (await this.store.preferences(account))?.lowBalanceThreshold;
      if (threshold === null || threshold === undefined) continue;
      const [after, before] = await Promise.all([this.free(account, block), this.free(account, block - 1n)]);
      if (!(after < threshold && before >= threshold)) continue;
      out.push({
        key: `low:${account}:${block}`,
        type: "low_balance",
        recipients: [account],
        vars: { free: formatQuote(after), threshold: formatQuote(threshold) },
        block,
        blockHash: info.hash,
        occurredAt: info.timestamp * 1000,
      });
    }
    return out;
  }
}
