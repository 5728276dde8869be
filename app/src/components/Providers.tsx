"use client";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { useState, type ReactNode } from "react";
import { createConfig, http, WagmiProvider } from "wagmi";
import { chainOf } from "@/lib/chain";
import { ConfigContext } from "@/hooks/useAppConfig";
import type { AppConfig } from "@/lib/config";
import { makeWagmiConfig } from "@/lib/wagmi";
import { ToastProvider } from "./Toasts";

/**
 * Every page's providers: the app's runtime config, wagmi (chain reads, the account, writes) and
 * TanStack Query. RainbowKit is not here: its provider and modals load with the connect button
 * (WalletButton → WalletUi) on the first wallet interaction or when a wallet is connected — decision 0060.
 */
export function Providers({ config, children }: { config: AppConfig; children: ReactNode }) {
  // Built once in the browser; on the server the same tree renders with a config whose RPC is
  // relative (no request is made during SSR).
  const [wagmiConfig] = useState(() =>
    typeof window === "undefined" ? makeServerWagmiConfig(config) : makeWagmiConfig(config),
  );
  const [queryClient] = useState(
    () =>
      new QueryClient({
        defaultOptions: { queries: { staleTime: 300, retry: 1, refetchOnWindowFocus: false } },
      }),
  );
  return (
    <ConfigContext.Provider value={config}>
      <WagmiProvider config={wagmiConfig}>
        <QueryClientProvider client={queryClient}>
          <ToastProvider>{children}</ToastProvider>
        </QueryClientProvider>
      </WagmiProvider>
    </ConfigContext.Provider>
  );
}

function makeServerWagmiConfig(cfg: AppConfig) {
  const chain = chainOf(cfg, "http://localhost");
  return createConfig({ chains: [chain], transports: { [chain.id]: http() }, ssr: true, connectors: [] });
}
