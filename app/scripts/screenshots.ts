/**
 * `npm run screenshots -w app`: every page at desktop (1440×900) and phone (390×844) width, light
 * and (desktop) dark, against a fresh local stack with the demo seed, the notifier and the agents
 * service (so Settings has its notifications section and the AI Assistant its page) and a
 * connected wallet (Alice, account #1) → docs/screenshots/<page>-<size>.png, plus the phone nav
 * opened (menu-phone.png). Needs `npm run build -w app` first.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { devAccount } from "../../scripts/seed/index.ts";
import { connect, launch, walletPage } from "../e2e/support/browser.ts";
import { ROOT, startStack } from "../e2e/support/stack.ts";

const OUT = path.join(ROOT, "docs", "screenshots");
mkdirSync(OUT, { recursive: true });
const stack = await startStack({
  log: (l) => console.log(`stack: ${l}`),
  notifier: true,
  agents: true,
});
const browser = await launch();
try {
  const pages: [string, string][] = [
    ["home", "/"],
    ["markets", "/markets"],
    ["market", `/markets/${stack.seed.slots[0]!.marketId}`],
    ["portfolio", "/portfolio"],
    ["meters", "/meters"],
    ["communities", "/communities"],
    ["community", `/communities/${stack.seed.communityId}`],
    ["analytics", "/analytics"],
    ["assistant", "/assistant"],
    ["settings", "/settings"],
  ];
  const sizes = [
    { name: "desktop", viewport: { width: 1440, height: 900 }, colorScheme: "light" as const },
    { name: "phone", viewport: { width: 390, height: 844 }, colorScheme: "light" as const },
    {
      name: "desktop-dark",
      viewport: { width: 1440, height: 900 },
      colorScheme: "dark" as const,
      only: ["market", "home"],
    },
  ];
  for (const size of sizes) {
    const w = await walletPage(browser, { account: devAccount(1).address, rpcUrl: stack.rpcUrl, ...size });
    await w.page.goto(`${stack.appUrl}/`);
    await connect(w.page);
    for (const [name, route] of pages) {
      if (size.only && !size.only.includes(name)) continue;
      await w.page.goto(`${stack.appUrl}${route}`);
      await w.page.locator("main h1, main .panel").first().waitFor();
      await w.page.waitForTimeout(2_500); // indexer polls, charts
      const file = path.join(OUT, `${name}-${size.name}.png`);
      await w.page.screenshot({ path: file, fullPage: size.name !== "phone" });
      console.log(path.relative(ROOT, file));
    }
    if (size.name === "phone") {
      // The nav folds behind the Menu button at phone width: the same page with it open.
      await w.page.goto(`${stack.appUrl}${pages[2]![1]}`);
      await w.page.getByRole("button", { name: "Menu" }).click();
      await w.page
        .getByRole("navigation", { name: "Main" })
        .getByRole("link", { name: "Portfolio" })
        .waitFor();
      const file = path.join(OUT, "menu-phone.png");
      await w.page.screenshot({ path: file });
      console.log(path.relative(ROOT, file));
    }
    await w.context.close();
  }
} finally {
  await browser.close();
  await stack.stop();
}
