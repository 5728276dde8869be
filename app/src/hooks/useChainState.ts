"use client";
/** The connected account's state on chain (the source of truth for one's own balances). */
import { energyMarketAbi, mockUsdcAbi, mockV3AggregatorAbi } from "@powershare/contracts";

// The feed is any AggregatorV3Interface; the mock's ABI carries that interface.
const FEED_ABI = mockV3AggregatorAbi;
import { useAccount, useReadContract, useReadContracts } from "wagmi";
import { useAppConfig } from "./useAppConfig";

const LIVE = { refetchInterval: 1_000 } as const;

export function useBalances() {
  const cfg = useAppConfig();
  const { address } = useAccount();
  const enabled = Boolean(address) && cfg.deployed;
  const r = useReadContracts({
    contracts: [
      { address: cfg.contracts.market, abi: energyMarketAbi, functionName: "balanceOf", args: [address!] },
      { address: cfg.contracts.quoteToken, abi: mockUsdcAbi, functionName: "balanceOf", args: [address!] },
      {
        address: cfg.contracts.quoteToken,
        abi: mockUsdcAbi,
        functionName: "allowance",
        args: [address!, cfg.contracts.market],
      },
    ],
    allowFailure: false,
    query: { enabled, ...LIVE },
  });
  const [bal, wallet, allowance] = r.data ?? [];
  return {
    ...r,
    free: bal?.[0],
    locked: bal?.[1],
    wallet: wallet as bigint | undefined,
    allowance: allowance as bigint | undefined,
  };
}

export function useIsMember(communityId: number | undefined) {
  const cfg = useAppConfig();
  const { address } = useAccount();
  return useReadContract({
    address: cfg.contracts.market,
    abi: energyMarketAbi,
    functionName: "isMember",
    args: [communityId ?? 0, address!],
    query: { enabled: Boolean(address) && communityId !== undefined && cfg.deployed, ...LIVE },
  });
}

/** The community's reference price (quote base units per kWh) from its Chainlink-style feed. */
export function useReferencePrice(feed: `0x${string}` | undefined) {
  const enabled = Boolean(feed) && feed !== "0x0000000000000000000000000000000000000000";
  const r = useReadContracts({
    contracts: [
      { address: feed!, abi: FEED_ABI, functionName: "latestRoundData" },
      { address: feed!, abi: FEED_ABI, functionName: "decimals" },
    ],
    allowFailure: false,
    query: { enabled, refetchInterval: 30_000 },
  });
  if (!r.data) return undefined;
  const [round, decimals] = r.data;
  const answer = (round as readonly bigint[])[1]!;
  if (answer <= 0n) return undefined;
  return (answer * 10n ** 6n) / 10n ** BigInt(decimals as number);
}
