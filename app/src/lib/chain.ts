import { defineChain, type Chain } from "viem";
import { polygon, polygonAmoy } from "viem/chains";
import type { AppConfig } from "./config";

/** The viem chain of the app's configuration, with the browser-facing RPC URL. */
export function chainOf(cfg: AppConfig, origin = ""): Chain {
  const rpc = cfg.rpcUrl.startsWith("/") ? `${origin}${cfg.rpcUrl}` : cfg.rpcUrl;
  const base = cfg.chainId === 137 ? polygon : cfg.chainId === 80002 ? polygonAmoy : undefined;
  return defineChain({
    ...(base ?? {}),
    id: cfg.chainId,
    name: cfg.chainName,
    nativeCurrency: base?.nativeCurrency ?? { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpc] } },
    blockExplorers: cfg.explorerUrl ? { default: { name: "Polygonscan", url: cfg.explorerUrl } } : undefined,
    testnet: cfg.chainId !== 137,
  });
}
