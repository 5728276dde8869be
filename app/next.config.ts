import type { NextConfig } from "next";

const config: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // NEXT_DIST_DIR: another output directory, so two builds (a benchmark, an e2e run) do not collide.
  distDir: process.env.NEXT_DIST_DIR || ".next",
  // The contracts package ships TypeScript sources.
  transpilePackages: ["@powershare/contracts"],
  // wagmi's connectors pull the Base/Coinbase SDKs, whose optional @x402 peers Turbopack cannot
  // resolve; they are never needed on the server (docs: web-and-agents-stack notes).
  serverExternalPackages: ["@base-org/account", "@coinbase/cdp-sdk"],
  typescript: { ignoreBuildErrors: false },
  experimental: { optimizePackageImports: ["viem", "wagmi", "@rainbow-me/rainbowkit"] },
};

export default config;
