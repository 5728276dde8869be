"use client";
/**
 * RainbowKit, loaded on demand by WalletButton: its provider (modals render in a portal), the
 * connect/account button with the chain status, and — when the user clicked "Connect Wallet" before
 * this chunk arrived — the connect modal opened at once.
 */
import "@rainbow-me/rainbowkit/styles.css";
import {
  ConnectButton,
  darkTheme,
  lightTheme,
  RainbowKitProvider,
  useConnectModal,
} from "@rainbow-me/rainbowkit";
import { useEffect, useRef } from "react";
import { useAppConfig } from "@/hooks/useAppConfig";
import { useTheme } from "./theme";

export default function WalletUi({ openConnectModal }: { openConnectModal: boolean }) {
  const cfg = useAppConfig();
  const theme = useTheme();
  const rk =
    theme === "dark" ? darkTheme({ accentColor: "#16a34a" }) : lightTheme({ accentColor: "#15803d" });
  return (
    <RainbowKitProvider theme={rk} modalSize="compact" initialChain={cfg.chainId}>
      <ConnectButton
        chainStatus="icon"
        accountStatus={{ smallScreen: "avatar", largeScreen: "full" }}
        showBalance={false}
      />
      {openConnectModal && <OpenConnectModalOnce />}
    </RainbowKitProvider>
  );
}

function OpenConnectModalOnce() {
  const { openConnectModal } = useConnectModal();
  const opened = useRef(false);
  useEffect(() => {
    if (opened.current || !openConnectModal) return;
    opened.current = true;
    openConnectModal();
  }, [openConnectModal]);
  return null;
}
