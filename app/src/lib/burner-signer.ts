/**
 * The burner wallet's EIP-1193 provider: a private key kept in this browser's localStorage that
 * signs locally; everything else goes to the chain's RPC. Loaded only when the burner wallet is
 * used (lib/burner.ts imports it on demand), so the key maths (secp256k1) stays out of page loads.
 */
import {
  createClient,
  fromHex,
  http,
  numberToHex,
  type Address,
  type Chain,
  type EIP1193RequestFn,
  type Hex,
} from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { sendTransaction } from "viem/actions";

const KEY = "powershare.burner.key";

export function burnerKey(): Hex {
  let k = localStorage.getItem(KEY) as Hex | null;
  if (!k) {
    k = generatePrivateKey();
    localStorage.setItem(KEY, k);
  }
  return k;
}

export interface BurnerProvider {
  request: EIP1193RequestFn;
  on: () => void;
  removeListener: () => void;
  address: Address;
}

export function burnerProvider(chain: Chain, rpcUrl: string): BurnerProvider {
  const account = privateKeyToAccount(burnerKey());
  const client = createClient({ account, chain, transport: http(rpcUrl) });
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
        return sendTransaction(client, {
          account,
          chain,
          to: tx.to as Address | undefined,
          data: tx.data,
          value: tx.value ? fromHex(tx.value, "bigint") : undefined,
          gas: tx.gas ? fromHex(tx.gas, "bigint") : undefined,
        });
      }
      default:
        return client.transport.request({ method, params } as never);
    }
  }) as EIP1193RequestFn;
  return { request, on: () => {}, removeListener: () => {}, address: account.address };
}
