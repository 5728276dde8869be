/**
 * The burner wallet (scaffold-eth-2's convention), on the local chain only: a private key kept in
 * this browser's localStorage that signs locally; everything else goes to the chain's RPC. Lets a
 * newcomer trade without installing a wallet. Never offered on public chains. The connector is
 * small; the signer (lib/burner-signer.ts) is imported the first time the burner is used.
 */
import type { Chain } from "viem";
import { createConnector } from "wagmi";
import type { BurnerProvider } from "./burner-signer";

const CONNECTED = "powershare.burner.connected";

export function burnerConnector(chain: Chain, rpcUrl: string) {
  return createConnector((config) => {
    let provider: Promise<BurnerProvider> | undefined;
    const get = () =>
      (provider ??= import("./burner-signer").then(({ burnerProvider }) => burnerProvider(chain, rpcUrl)));
    return {
      id: "burnerWallet",
      name: "Burner wallet",
      type: "burnerWallet",
      async connect() {
        const { address } = await get();
        localStorage.setItem(CONNECTED, "1");
        return { accounts: [address], chainId: chain.id } as never;
      },
      async disconnect() {
        localStorage.removeItem(CONNECTED);
      },
      async getAccounts() {
        return [(await get()).address];
      },
      async getChainId() {
        return chain.id;
      },
      async getProvider() {
        return get();
      },
      async isAuthorized() {
        return localStorage.getItem(CONNECTED) === "1";
      },
      async switchChain({ chainId }: { chainId: number }) {
        if (chainId !== chain.id) throw new Error("The burner wallet only exists on the local chain");
        return chain;
      },
      onAccountsChanged() {},
      onChainChanged() {},
      onDisconnect() {
        config.emitter.emit("disconnect");
      },
    };
  });
}
