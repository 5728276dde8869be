"use client";
/**
 * The header's wallet control. RainbowKit (its provider, connect/account/chain modals, ENS lookups,
 * QR codes: ~100 kB of JS) is not part of any page's first load: this renders a plain "Connect
 * Wallet" button and mounts RainbowKit (components/WalletUi.tsx) when it is needed — a click (which
 * then opens the connect modal), or a wallet that is connected or reconnecting after a reload. Hover,
 * focus or touch prefetch the chunk so the modal opens at once. The button stays disabled until the
 * page has hydrated: a click before that would be lost. Decision 0060.
 */
import dynamic from "next/dynamic";
import { useState, useSyncExternalStore } from "react";
import { useAccount } from "wagmi";

const loadWalletUi = () => import("./WalletUi");
const WalletUi = dynamic(loadWalletUi, { ssr: false, loading: () => <ConnectPlaceholder busy /> });
const noSubscription = () => () => {};

/** false on the server and while hydrating, true once React handles events on this page. */
function useHydrated(): boolean {
  return useSyncExternalStore(
    noSubscription,
    () => true,
    () => false,
  );
}

export function WalletButton() {
  const { status } = useAccount();
  const [wanted, setWanted] = useState<false | "open">(false);
  const hydrated = useHydrated();
  if (wanted || status !== "disconnected") return <WalletUi openConnectModal={wanted === "open"} />;
  return (
    <ConnectPlaceholder
      busy={!hydrated}
      onIntent={() => void loadWalletUi()}
      onClick={() => {
        void loadWalletUi();
        setWanted("open");
      }}
    />
  );
}

function ConnectPlaceholder(props: { busy?: boolean; onIntent?: () => void; onClick?: () => void }) {
  return (
    <button
      type="button"
      className="connect-btn"
      data-testid="connect-wallet"
      disabled={props.busy}
      aria-busy={props.busy || undefined}
      onPointerEnter={props.onIntent}
      onFocus={props.onIntent}
      onTouchStart={props.onIntent}
      onClick={props.onClick}
    >
      Connect Wallet
    </button>
  );
}
