"use client";
/**
 * The connected seller's sales not settled yet (from the indexer) with what settling each pays
 * now (from the chain, through the SDK's reads): the contract's readiness and reason, the report,
 * the bond and the market's fee — the same arithmetic as DeliverySettlement.settleSeller, so the
 * Portfolio shows the payout before the wallet opens.
 */
import { useQuery } from "@tanstack/react-query";
import {
  decodeMarketId,
  getMarketFeeBps,
  getReport,
  getSale,
  getSettlement,
  type AnyPublicClient,
} from "@powershare/contracts/sdk";
import { readContract } from "viem/actions";
import { useConfig } from "wagmi";
import { useAppConfig } from "./useAppConfig";
import { useIndexerBase } from "./useIndexer";
import { gql, type Items } from "@/lib/indexer";

export interface SellerSettlement {
  marketId: string;
  meterId: number;
  soldWh: bigint;
  /** Reported export counted against the sale (min(exported, sold)); 0 without a report. */
  deliveredWh: bigint;
  reported: boolean;
  /** Seller's payment for the delivered energy, after the community fee. */
  payout: bigint;
  /** Bond back (what is not slashed for undelivered energy; all of it without a report). */
  bondBack: bigint;
  /** Settlable now (the contract's settlementStatus), else the contract's reason. */
  ready: boolean;
  reason: string;
}

/** DeliverySettlement.settleSeller's amounts (seller amounts round down). */
export function settlementAmounts(
  sale: { soldWh: bigint; proceeds: bigint; bond: bigint },
  exportedWh: bigint | undefined,
  feeBps: number,
): { deliveredWh: bigint; payout: bigint; bondBack: bigint } {
  // No report (the oracle's failure, not the seller's): no payment, the bond back, buyers refunded.
  if (exportedWh === undefined) return { deliveredWh: 0n, payout: 0n, bondBack: sale.bond };
  const delivered = exportedWh < sale.soldWh ? exportedWh : sale.soldWh;
  const gross = (sale.proceeds * delivered) / sale.soldWh;
  const fee = (gross * BigInt(feeBps)) / 10_000n;
  const slashed = sale.bond - (sale.bond * delivered) / sale.soldWh;
  return { deliveredWh: delivered, payout: gross - fee, bondBack: sale.bond - slashed };
}

export function useSellerSettlements(account: string | undefined) {
  const cfg = useAppConfig();
  const base = useIndexerBase();
  const wagmiConfig = useConfig();
  return useQuery({
    queryKey: ["seller-settlements", account?.toLowerCase()],
    enabled: Boolean(account) && Boolean(cfg.contracts.settlement),
    queryFn: async (): Promise<SellerSettlement[]> => {
      const open = (
        await gql<Items<"saless", { marketId: string; meterId: number }>>(
          base,
          `query($s: String!) { saless(where: { seller: $s, settled: false }, orderBy: "marketId", limit: 100) { items { marketId meterId } } }`,
          { s: account!.toLowerCase() },
        )
      ).saless.items;
      // The SDK reads used here call only `readContract`: a client with that one viem action keeps
      // the page light (a full public client carries every action; decision 0060).
      const client = wagmiConfig.getClient({ chainId: cfg.chainId });
      const publicClient = {
        readContract: (args: Parameters<typeof readContract>[1]) => readContract(client, args),
      } as unknown as AnyPublicClient;
      const ctx = { publicClient, addresses: cfg.contracts };
      const status = new Map<string, Promise<{ ready: boolean; reason: string; feeBps: number }>>();
      const statusOf = (marketId: bigint) => {
        const k = String(marketId);
        if (!status.has(k))
          status.set(
            k,
            Promise.all([getSettlement(ctx, marketId), getMarketFeeBps(ctx, marketId)]).then(
              ([s, feeBps]) => ({
                ready: s.ready,
                reason: s.reason,
                feeBps,
              }),
            ),
          );
        return status.get(k)!;
      };
      const rows = await Promise.all(
        open.map(async ({ marketId: id, meterId }) => {
          const marketId = BigInt(id);
          const [sale, st, report] = await Promise.all([
            getSale(ctx, marketId, meterId),
            statusOf(marketId),
            getReport(ctx, meterId, decodeMarketId(marketId).slotStart),
          ]);
          if (sale.settled) return undefined; // settled since the indexer last looked
          return {
            marketId: id,
            meterId,
            soldWh: sale.soldWh,
            reported: report !== undefined,
            ...settlementAmounts(sale, report?.exportedWh, st.feeBps),
            ready: st.ready,
            reason: st.reason,
          } satisfies SellerSettlement;
        }),
      );
      return rows.filter((r): r is SellerSettlement => r !== undefined);
    },
    refetchInterval: 2_000,
  });
}
