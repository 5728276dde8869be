/**
 * An injected EIP-1193 test wallet, added before page load: announced the EIP-6963 way (and as
 * window.ethereum), answering eth_accounts with [] until eth_requestAccounts as a real wallet does,
 * switching chains on request, and forwarding every other call to the local chain's node, whose
 * unlocked dev accounts sign (eth_sendTransaction, eth_signTypedData_v4, personal_sign). The same
 * path a MetaMask user takes through RainbowKit.
 */
import type { BrowserContext } from "playwright-core";

export interface TestWalletOptions {
  account: `0x${string}`;
  rpcUrl: string;
  /** The chain the wallet starts on (another id than 31337 to test the wrong-chain prompt). */
  chainId?: number;
  /** Reject the next signature / transaction requests (wallet rejection). */
  reject?: boolean;
}

export interface TestWallet {
  requests: string[];
}

export async function installTestWallet(
  context: BrowserContext,
  opts: TestWalletOptions,
): Promise<TestWallet> {
  const state: TestWallet = { requests: [] };
  let id = 0;
  await context.exposeFunction("__psWalletLog", (method: string) => void state.requests.push(method));
  await context.exposeFunction("__psWalletRpc", async (json: string) => {
    const { method, params } = JSON.parse(json) as { method: string; params: unknown[] };
    if (opts.reject && /^(eth_sendTransaction|eth_signTypedData_v4|personal_sign)$/.test(method))
      return JSON.stringify({ error: { code: 4001, message: "User rejected the request." } });
    const r = await fetch(opts.rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: ++id, method, params }),
    });
    const body = (await r.json()) as {
      result?: unknown;
      error?: { code: number; message: string; data?: unknown };
    };
    return JSON.stringify(body.error ? { error: body.error } : { result: body.result ?? null });
  });
  await context.addInitScript(
    ({ account, chainId }: { account: string; chainId: number }) => {
      const listeners: Record<string, ((x: unknown) => void)[]> = {};
      const emit = (ev: string, x: unknown) => (listeners[ev] ?? []).forEach((l) => l(x));
      // Like a real wallet, the permission given to this origin survives reloads.
      const KEY = "__psTestWalletConnected";
      let connected = localStorage.getItem(KEY) === "1";
      const setConnected = (v: boolean) => {
        connected = v;
        if (v) localStorage.setItem(KEY, "1");
        else localStorage.removeItem(KEY);
      };
      let chain = chainId;
      const hex = (n: number) => "0x" + n.toString(16);
      const call = async (method: string, params: unknown[]) => {
        const out = JSON.parse(
          await (window as unknown as { __psWalletRpc(j: string): Promise<string> }).__psWalletRpc(
            JSON.stringify({ method, params }),
          ),
        ) as { result?: unknown; error?: { code: number; message: string; data?: unknown } };
        if (out.error) throw Object.assign(new Error(out.error.message), out.error);
        return out.result;
      };
      const provider = {
        isMetaMask: false,
        async request({ method, params = [] }: { method: string; params?: unknown[] }) {
          void (window as unknown as { __psWalletLog(m: string): Promise<void> }).__psWalletLog(method);
          switch (method) {
            case "eth_accounts":
              return connected ? [account] : [];
            case "eth_requestAccounts":
              setConnected(true);
              emit("accountsChanged", [account]);
              emit("connect", { chainId: hex(chain) });
              return [account];
            case "eth_chainId":
              return hex(chain);
            case "net_version":
              return String(chain);
            case "wallet_requestPermissions":
              setConnected(true);
              return [{ parentCapability: "eth_accounts" }];
            case "wallet_getPermissions":
              return connected ? [{ parentCapability: "eth_accounts" }] : [];
            case "wallet_revokePermissions":
              setConnected(false);
              emit("accountsChanged", []);
              return null;
            case "wallet_switchEthereumChain": {
              const target = parseInt((params[0] as { chainId: string }).chainId, 16);
              if (target !== 31337) throw Object.assign(new Error("Unrecognized chain"), { code: 4902 });
              chain = target;
              emit("chainChanged", hex(chain));
              return null;
            }
            case "wallet_addEthereumChain":
              return null;
            default:
              if (chain !== 31337 && /^eth_(sendTransaction|signTypedData_v4)$|^personal_sign$/.test(method))
                throw Object.assign(new Error("The test wallet is on another chain"), { code: 4100 });
              return call(method, params);
          }
        },
        on(ev: string, l: (x: unknown) => void) {
          (listeners[ev] ??= []).push(l);
          return provider;
        },
        removeListener(ev: string, l: (x: unknown) => void) {
          listeners[ev] = (listeners[ev] ?? []).filter((x) => x !== l);
          return provider;
        },
      };
      const info = {
        uuid: "6f1b3a52-7d0e-4c1a-9d55-2c1f3b0e7a10",
        name: "Test Wallet",
        rdns: "dev.powershare.testwallet",
        icon: "data:image/svg+xml;utf8,<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 10 10'><rect width='10' height='10' fill='%2316a34a'/></svg>",
      };
      const announce = () =>
        window.dispatchEvent(
          new CustomEvent("eip6963:announceProvider", { detail: Object.freeze({ info, provider }) }),
        );
      window.addEventListener("eip6963:requestProvider", announce);
      announce();
      (window as unknown as { ethereum: unknown }).ethereum = provider;
      // The test's hand on the wallet: the user picks another network in it.
      (window as unknown as { __psTestWallet: unknown }).__psTestWallet = {
        setChain(n: number) {
          chain = n;
          emit("chainChanged", hex(n));
        },
      };
    },
    { account: opts.account, chainId: opts.chainId ?? 31337 },
  );
  return state;
}
