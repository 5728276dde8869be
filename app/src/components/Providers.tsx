"use client";
import "@rainbow-me/rainbowkit/styles.css";
import { darkTheme, lightTheme, RainbowKitProvider } from "@rainbow-me/rainbowkit";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { useEffect, useState, type ReactNode } from "react";
import { createConfig, http, WagmiProvider } from "wagmi";
import { chainOf } from "@/lib/chain";
import { ConfigContext } from "@/hooks/useAppConfig";
import type { AppConfig } from "@/lib/config";
import { makeWagmiConfig } from "@/lib/wagmi";
import { ToastProvider } from "./Toasts";
import { useTheme } from "./theme";

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
  const theme = useTheme();
  const [mounted, setMounted] = useState(false);
  useEffect(() => setMounted(true), []);
  const rk =
    mounted && theme === "dark"
      ? darkTheme({ accentColor: "#16a34a" })
      : lightTheme({ accentColor: "#15803d" });
  return (
    <ConfigContext.Provider value={config}>
      <WagmiProvider config={wagmiConfig}>
        <QueryClientProvider client={queryClient}>
          <RainbowKitProvider theme={rk} modalSize="compact" initialChain={config.chainId}>
            <ToastProvider>{children}</ToastProvider>
          </RainbowKitProvider>
        </QueryClientProvider>
      </WagmiProvider>
    </ConfigContext.Provider>
  );
}

function makeServerWagmiConfig(cfg: AppConfig) {
  const chain = chainOf(cfg, "http://localhost");
  return createConfig({ chains: [chain], transports: { [chain.id]: http() }, ssr: true, connectors: [] });
}
