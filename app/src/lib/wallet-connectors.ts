/**
 * The wagmi connectors RainbowKit's modal lists, built without loading RainbowKit.
 *
 * RainbowKit's `connectorsForWallets` lives in its main entry, one 280 kB module (modal, ENS, QR code,
 * user-agent parsing) that cannot be tree-shaken; importing it in the wagmi config would put all of it
 * in every page's first load. This function does the same job for a wallet list — the wallets still
 * come from `@rainbow-me/rainbowkit/wallets` (one small module each) — and tags every connector with
 * the same `rkDetails` RainbowKit reads, so the modal, loaded later (components/WalletUi.tsx), shows
 * exactly what `connectorsForWallets` would have given it. test/wallet-connectors.test.ts compares the
 * two on the app's wallet list, so a RainbowKit upgrade that changes the shape fails there.
 */
import type { Wallet, WalletList } from "@rainbow-me/rainbowkit";
import type { CreateConnectorFn } from "wagmi";

export interface WalletAppInfo {
  appName: string;
  /** WalletConnect Cloud project id ("offline" when WalletConnect is not offered). */
  projectId: string;
  appDescription?: string;
  appUrl?: string;
  appIcon?: string;
}

const omitUndefined = <T extends Record<string, unknown>>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

export function rainbowKitConnectors(groups: WalletList, app: WalletAppInfo): CreateConnectorFn[] {
  if (groups.length === 0) throw new Error("No wallet list was provided");
  for (const { wallets, groupName } of groups)
    if (wallets.length === 0) throw new Error(`No wallets provided for group: ${groupName}`);
  const metadata = {
    name: app.appName,
    description: app.appDescription ?? app.appName,
    url: app.appUrl ?? (typeof window !== "undefined" ? window.location.origin : ""),
    icons: app.appIcon ? [app.appIcon] : [],
  };
  type Item = Wallet & { groupIndex: number; groupName: string; index: number };
  const visible: Item[] = [];
  const maybeHidden: Item[] = [];
  let index = -1;
  for (const [groupIndex, { groupName, wallets }] of groups.entries()) {
    for (const createWallet of wallets) {
      index++;
      const wallet = createWallet({
        projectId: app.projectId,
        appName: app.appName,
        appIcon: app.appIcon,
        options: { metadata },
        walletConnectParameters: { metadata },
      });
      if (wallet.iconAccent && !/^#([0-9a-f]{3}|[0-9a-f]{6})$/i.test(wallet.iconAccent))
        throw new Error(`Property \`iconAccent\` is not a hex value for wallet: ${wallet.name}`);
      const item = { ...wallet, groupIndex: groupIndex + 1, groupName, index };
      (typeof wallet.hidden === "function" ? maybeHidden : visible).push(item);
    }
  }
  const seen = new Set<string>();
  const connectors: CreateConnectorFn[] = [];
  for (const { createConnector, groupIndex, groupName, hidden, ...meta } of [...visible, ...maybeHidden]) {
    if (seen.has(meta.id)) continue;
    seen.add(meta.id);
    if (typeof hidden === "function" && hidden()) continue;
    const details = (extra: Record<string, unknown> = {}) => ({
      rkDetails: omitUndefined({ ...meta, groupIndex, groupName, isRainbowKitConnector: true, ...extra }),
    });
    // WalletConnect gets a second connector for its own QR modal, as in RainbowKit.
    if (meta.id === "walletConnect")
      connectors.push(
        createConnector(details({ isWalletConnectModalConnector: true, showQrModal: true }) as never),
      );
    connectors.push(createConnector(details() as never));
  }
  return connectors;
}
