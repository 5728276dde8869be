import { connectorsForWallets } from "@rainbow-me/rainbowkit";
import type { CreateConnectorFn } from "wagmi";
import { describe, expect, it } from "vitest";
import type { AppConfig } from "@/lib/config";
import { walletList } from "@/lib/wagmi";
import { rainbowKitConnectors } from "@/lib/wallet-connectors";

const base: AppConfig = {
  chainId: 31337,
  chainName: "PowerShare dev chain",
  rpcUrl: "/api/rpc",
  indexerUrl: "/api/indexer",
  contracts: {
    market: "0x0000000000000000000000000000000000000001",
    quoteToken: "0x0000000000000000000000000000000000000002",
  },
  deployed: true,
};
const app = { appName: "PowerShare", projectId: "0123456789abcdef" };

// What RainbowKit's modal reads from each connector: its id, name, type and `rkDetails`
// (functions compared by presence — each wallet factory call makes new closures).
function shape(fns: CreateConnectorFn[]) {
  const plain = (v: unknown): unknown =>
    typeof v === "function"
      ? "function"
      : Array.isArray(v)
        ? v.map(plain)
        : v && typeof v === "object"
          ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]))
          : v;
  const fakeConfig = {
    chains: [],
    emitter: { emit() {}, on() {}, off() {}, once() {}, listenerCount: () => 0 },
    storage: null,
    transports: {},
  };
  return fns.map((fn) => {
    const c = fn(fakeConfig as never) as { id: string; name: string; type: string; rkDetails?: unknown };
    return { id: c.id, name: c.name, type: c.type, rkDetails: plain(c.rkDetails) };
  });
}

describe("RainbowKit connectors without RainbowKit's main entry", () => {
  for (const [label, cfg] of [
    ["local chain (injected + burner)", base],
    [
      "Amoy with WalletConnect (injected + two WalletConnect connectors)",
      { ...base, chainId: 80002, chainName: "Polygon Amoy", walletConnectProjectId: app.projectId },
    ],
    ["Polygon, injected only", { ...base, chainId: 137, chainName: "Polygon" }],
  ] as const) {
    it(`matches connectorsForWallets: ${label}`, () => {
      const groups = walletList(cfg, "http://localhost:3000");
      const ours = shape(rainbowKitConnectors(groups, app));
      const theirs = shape(connectorsForWallets(groups, app));
      expect(ours).toEqual(theirs);
      expect(
        ours.every((c) => (c.rkDetails as { isRainbowKitConnector?: boolean }).isRainbowKitConnector),
      ).toBe(true);
    });
  }

  it("offers the burner only on the local chain and WalletConnect only with a project id", () => {
    const ids = (cfg: AppConfig) => shape(rainbowKitConnectors(walletList(cfg, ""), app)).map((c) => c.id);
    expect(ids(base)).toEqual(["injected", "burnerWallet"]);
    expect(ids({ ...base, chainId: 137 })).toEqual(["injected"]);
    expect(ids({ ...base, chainId: 137, walletConnectProjectId: "x" })).toEqual([
      "injected",
      "walletConnect",
      "walletConnect",
    ]);
  });

  it("refuses an empty wallet list or group, as RainbowKit does", () => {
    expect(() => rainbowKitConnectors([], app)).toThrow("No wallet list was provided");
    expect(() => rainbowKitConnectors([{ groupName: "Installed", wallets: [] }], app)).toThrow(
      "No wallets provided for group: Installed",
    );
  });
});
