/**
 * The burner wallet (scaffold-eth-2's convention), on the local chain only: a private key kept in
 * this browser's localStorage that signs locally; everything else goes to the chain's RPC. Lets a
 * newcomer trade without installing a wallet. Never offered on public chains.
 */
import { createConnector } from "wagmi";
import {
  createWalletClient,
  custom,
  fromHex,
  http,
  numberToHex,
  type Address,
  type Chain,
  type EIP1193RequestFn,
  type Hex,
} from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";

const KEY = "powershare.burner.key";
const CONNECTED = "powershare.burner.connected";

export function burnerKey(): Hex {
  let k = localStorage.getItem(KEY) as Hex | null;
  if (!k) {
    k = generatePrivateKey();
    localStorage.setItem(KEY, k);
  }
  return k;
}

export function burnerProvider(chain: Chain, rpcUrl: string) {
  const account = privateKeyToAccount(burnerKey());
  const transport = http(rpcUrl);
  const wallet = createWalletClient({ account, chain, transport });
  const rpc = custom({ request: (a) => wallet.transport.request(a) });
  void rpc;
  const request = (async ({ method, params }: { method: string; params?: unknown[] }) => {
    const p = (params ?? []) as unknown[];
    switch (method) {
      case "eth_accounts":
      case "eth_requestAccounts":
        return [account.address];
      case "eth_chainId":
        return numberToHex(chain.id);
      case "wallet_switchEthereumChain":
        return null;
      case "personal_sign":
        return account.signMessage({ message: { raw: p[0] as Hex } });
      case "eth_signTypedData_v4": {
        const data = typeof p[1] === "string" ? JSON.parse(p[1]) : p[1];
        const { EIP712Domain: _, ...types } = data.types;
        return account.signTypedData({ ...data, types });
      }
      case "eth_sendTransaction": {
        const tx = p[0] as Record<string, Hex | undefined>;
        return wallet.sendTransaction({
          to: tx.to as Address | undefined,
          data: tx.data,
          value: tx.value ? fromHex(tx.value, "bigint") : undefined,
          gas: tx.gas ? fromHex(tx.gas, "bigint") : undefined,
        });
      }
      default:
        return wallet.transport.request({ method, params } as never);
    }
  }) as EIP1193RequestFn;
  return { request, on: () => {}, removeListener: () => {}, address: account.address };
}

export function burnerConnector(chain: Chain, rpcUrl: string) {
  return createConnector((config) => {
    let provider: ReturnType<typeof burnerProvider> | undefined;
    const get = () => (provider ??= burnerProvider(chain, rpcUrl));
    return {
      id: "burnerWallet",
      name: "Burner wallet",
      type: "burnerWallet",
      async connect(params?: { chainId?: number; isReconnecting?: boolean }) {
        localStorage.setItem(CONNECTED, "1");
        const accounts = [get().address];
        void params;
        return { accounts, chainId: chain.id } as never;
      },
      async disconnect() {
        localStorage.removeItem(CONNECTED);
      },
      async getAccounts() {
        return [get().address];
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
