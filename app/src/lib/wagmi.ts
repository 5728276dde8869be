"use client";
/**
 * The one wagmi config: the configured chain only; RainbowKit's injected wallets (every EIP-6963
 * wallet is discovered too), WalletConnect only with NEXT_PUBLIC_WALLETCONNECT_PROJECT_ID, and the
 * burner wallet on the local chain only. Built in the browser. The connectors carry RainbowKit's
 * wallet details (lib/wallet-connectors.ts) without loading RainbowKit itself, which comes with the
 * connect button (components/WalletButton.tsx) — decision 0060.
 */
import type { Wallet, WalletList } from "@rainbow-me/rainbowkit";
import { injectedWallet, walletConnectWallet } from "@rainbow-me/rainbowkit/wallets";
import { createConfig, http } from "wagmi";
import { burnerConnector } from "./burner";
import { chainOf } from "./chain";
import type { AppConfig } from "./config";
import { rainbowKitConnectors } from "./wallet-connectors";

const BURNER_ICON =
  "data:image/svg+xml;utf8," +
  encodeURIComponent(
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 28 28"><rect width="28" height="28" rx="6" fill="#f97316"/><path d="M14 5c1 4 6 6 6 11a6 6 0 0 1-12 0c0-3 2-4 2-7 2 1 3 3 3 5 1-2 1-6 1-9z" fill="#fff"/></svg>',
  );

/** The wallets the connect modal offers, in its groups. */
export function walletList(cfg: AppConfig, origin: string): WalletList {
  const chain = chainOf(cfg, origin);
  const groups: WalletList = [{ groupName: "Installed", wallets: [injectedWallet] }];
  if (cfg.walletConnectProjectId) groups.push({ groupName: "Other", wallets: [walletConnectWallet] });
  if (cfg.chainId === 31337) {
    const burner = (): Wallet => ({
      id: "burnerWallet",
      name: "Burner wallet (local chain)",
      iconUrl: BURNER_ICON,
      iconBackground: "#f97316",
      installed: true,
      createConnector: (details) => {
        const base = burnerConnector(chain, chain.rpcUrls.default.http[0]!);
        return (config) => ({ ...base(config), ...details });
      },
    });
    groups.push({ groupName: "Local chain", wallets: [burner] });
  }
  return groups;
}

export function makeWagmiConfig(cfg: AppConfig) {
  const chain = chainOf(cfg, window.location.origin);
  const connectors = rainbowKitConnectors(walletList(cfg, window.location.origin), {
    appName: "PowerShare",
    projectId: cfg.walletConnectProjectId ?? "offline",
  });
  return createConfig({
    chains: [chain],
    connectors,
    transports: { [chain.id]: http(chain.rpcUrls.default.http[0]) },
    ssr: true,
    pollingInterval: 500,
  });
}
