import type { Metadata, Viewport } from "next";
import type { ReactNode } from "react";
import { Providers } from "@/components/Providers";
import { Shell } from "@/components/Shell";
import { THEME_SCRIPT } from "@/lib/theme-script";
import { appConfig } from "@/lib/server-config";
import "./globals.css";

// The dev chain's address book is read per request (rewritten by every `npm run dev`).
export const dynamic = "force-dynamic";

export const metadata: Metadata = {
  title: { default: "PowerShare", template: "%s · PowerShare" },
  description: "Trade your neighbours' solar: a peer-to-peer energy marketplace settled on delivery.",
};
export const viewport: Viewport = { width: "device-width", initialScale: 1 };

export default function RootLayout({ children }: { children: ReactNode }) {
  const config = appConfig();
  return (
    <html lang="en" suppressHydrationWarning>
      <head>
        <script dangerouslySetInnerHTML={{ __html: THEME_SCRIPT }} />
      </head>
      <body>
        <Providers config={config}>
          <Shell>{children}</Shell>
        </Providers>
      </body>
    </html>
  );
}
