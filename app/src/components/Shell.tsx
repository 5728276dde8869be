"use client";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { useEffect, useRef, useState, type ReactNode } from "react";
import { useAccount, useSwitchChain } from "wagmi";
import { useAppConfig } from "@/hooks/useAppConfig";
import { useIndexerStatus } from "@/hooks/useIndexer";
import { NotificationsBellSlot } from "./NotificationsBellSlot";
import { WalletButton } from "./WalletButton";

const NAV = [
  ["/", "Home"],
  ["/markets", "Markets"],
  ["/portfolio", "Portfolio"],
  ["/meters", "Meters"],
  ["/communities", "Communities"],
  ["/analytics", "Analytics"],
  ["/assistant", "AI Assistant"],
  ["/settings", "Settings"],
] as const;

export function Shell({ children }: { children: ReactNode }) {
  const path = usePathname();
  const cfg = useAppConfig();
  // Phone widths: the nav folds behind a Menu button (CSS shows the button below 720 px only).
  const [menuOpen, setMenuOpen] = useState(false);
  const toggle = useRef<HTMLButtonElement>(null);
  useEffect(() => setMenuOpen(false), [path]);
  const closeOnEscape = (e: { key: string }) => {
    if (e.key !== "Escape" || !menuOpen) return;
    setMenuOpen(false);
    toggle.current?.focus(); // focus stays on screen, not on a link that is now hidden
  };
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="header">
        <Link href="/" className="brand" aria-label="PowerShare home">
          <span aria-hidden="true" className="logo">
            ⚡
          </span>
          PowerShare
        </Link>
        <button
          type="button"
          className="nav-toggle"
          aria-expanded={menuOpen}
          aria-controls="main-nav"
          ref={toggle}
          onClick={() => setMenuOpen((o) => !o)}
          onKeyDown={closeOnEscape}
        >
          <span aria-hidden="true">{menuOpen ? "✕" : "☰"}</span> Menu
        </button>
        <nav
          aria-label="Main"
          id="main-nav"
          className={menuOpen ? "nav nav-open" : "nav"}
          onKeyDown={closeOnEscape}
        >
          {NAV.filter(([href]) => href !== "/assistant" || cfg.agentsUrl).map(([href, label]) => {
            const active = href === "/" ? path === "/" : path.startsWith(href);
            return (
              <Link
                key={href}
                href={href}
                aria-current={active ? "page" : undefined}
                className={active ? "active" : ""}
              >
                {label}
              </Link>
            );
          })}
        </nav>
        <div className="connect" style={{ display: "flex", gap: 8, alignItems: "center" }}>
          <NotificationsBellSlot />
          <WalletButton />
        </div>
      </header>
      <Banners />
      <main id="main" className="main">
        {children}
      </main>
      <footer className="footer">
        PowerShare — neighbours trading electricity. Energy in kWh, settled on delivery measured by the
        meters.
      </footer>
    </>
  );
}

function Banners() {
  const cfg = useAppConfig();
  const { isConnected, chainId } = useAccount();
  const { switchChain, isPending } = useSwitchChain();
  const indexer = useIndexerStatus();
  return (
    <>
      {!cfg.deployed && (
        <div className="banner banner-warn" role="alert">
          PowerShare is not deployed on {cfg.chainName}. Start the local stack with <code>npm run dev</code>.
        </div>
      )}
      {isConnected && chainId !== cfg.chainId && (
        <div className="banner banner-warn" role="alert" data-testid="wrong-chain">
          Your wallet is on another network (chain {chainId}). PowerShare runs on {cfg.chainName}; nothing
          will be sent until you switch.{" "}
          <button
            className="btn btn-small"
            disabled={isPending}
            onClick={() => switchChain({ chainId: cfg.chainId })}
          >
            Switch to {cfg.chainName}
          </button>
        </div>
      )}
      {indexer.data && !indexer.data.up && (
        <div className="banner banner-error" role="alert" data-testid="indexer-down">
          The indexer is unreachable: books, trades and history may be stale. Balances and transactions still
          work from the chain.
        </div>
      )}
    </>
  );
}
