/**
 * The dApp's providers for component tests: the runtime config, TanStack Query and wagmi with a
 * wallet connector whose key signs locally (a real secp256k1 signature, as a wallet makes one).
 */
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { numberToHex, zeroAddress, type EIP1193RequestFn, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { createConfig, createConnector, http, WagmiProvider } from "wagmi";
import { connect } from "wagmi/actions";
import { hardhat } from "wagmi/chains";
import { ConfigContext } from "@/hooks/useAppConfig";
import type { AppConfig } from "@/lib/config";

// Hardhat's dev account #1.
export const KEY: Hex = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
export const ACCOUNT = privateKeyToAccount(KEY);

export function appConfig(over: Partial<AppConfig> = {}): AppConfig {
  return {
    chainId: 31337,
    chainName: "PowerShare dev chain",
    rpcUrl: "http://127.0.0.1:1",
    indexerUrl: "/api/indexer",
    notifierUrl: "/api/notifier",
    contracts: { market: zeroAddress, quoteToken: zeroAddress },
    deployed: true,
    ...over,
  };
}

/** A connector that signs with KEY; `reject` makes the wallet decline (EIP-1193 code 4001). */
export function keyConnector(opts: { reject?: () => boolean } = {}) {
  return createConnector(() => {
    const request = (async ({ method, params }: { method: string; params?: unknown[] }) => {
      switch (method) {
        case "eth_accounts":
        case "eth_requestAccounts":
          return [ACCOUNT.address];
        case "eth_chainId":
          return numberToHex(31337);
        case "personal_sign":
          if (opts.reject?.()) throw Object.assign(new Error("User rejected the request."), { code: 4001 });
          return ACCOUNT.signMessage({ message: { raw: (params as Hex[])[0]! } });
        default:
          throw new Error(`the test wallet does not answer ${method}`);
      }
    }) as EIP1193RequestFn;
    const provider = { request, on: () => {}, removeListener: () => {} };
    return {
      id: "testKey",
      name: "Test key",
      type: "testKey",
      async connect() {
        return { accounts: [ACCOUNT.address], chainId: 31337 } as never;
      },
      async disconnect() {},
      async getAccounts() {
        return [ACCOUNT.address];
      },
      async getChainId() {
        return 31337;
      },
      async getProvider() {
        return provider;
      },
      async isAuthorized() {
        return true;
      },
      onAccountsChanged() {},
      onChainChanged() {},
      onDisconnect() {},
    };
  });
}

export async function harness(
  opts: { config?: AppConfig; connected?: boolean; reject?: () => boolean } = {},
) {
  const wagmi = createConfig({
    chains: [hardhat],
    connectors: [keyConnector({ reject: opts.reject })],
    transports: { [hardhat.id]: http("http://127.0.0.1:1") },
    ssr: false,
    // No storage: the connection made below survives the provider's mount.
    storage: null,
  });
  if (opts.connected !== false) await connect(wagmi, { connector: wagmi.connectors[0]! } as never); // the connector's connect() is typed loosely
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const config = opts.config ?? appConfig();
  const Wrapper = ({ children }: { children: ReactNode }) => (
    <ConfigContext.Provider value={config}>
      <WagmiProvider config={wagmi} reconnectOnMount={false}>
        <QueryClientProvider client={qc}>{children}</QueryClientProvider>
      </WagmiProvider>
    </ConfigContext.Provider>
  );
  return { Wrapper, wagmi };
}
