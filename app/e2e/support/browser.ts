/** Debian's Chromium through playwright-core, and page helpers shared by the tests and scripts. */
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { installTestWallet, type TestWallet, type TestWalletOptions } from "./wallet.ts";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"],
  });
}

export interface WalletPage {
  context: BrowserContext;
  page: Page;
  wallet: TestWallet;
  errors: string[];
}

/** A fresh context with the test wallet of `account`, console errors collected. */
export async function walletPage(
  browser: Browser,
  opts: TestWalletOptions & { viewport?: { width: number; height: number }; colorScheme?: "light" | "dark" },
): Promise<WalletPage> {
  const context = await browser.newContext({
    viewport: opts.viewport ?? { width: 1400, height: 1000 },
    colorScheme: opts.colorScheme ?? "light",
    acceptDownloads: true,
    timezoneId: "UTC",
  });
  const wallet = await installTestWallet(context, opts);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(String(e)));
  return { context, page, wallet, errors };
}

/**
 * Connects through RainbowKit's modal, picking the EIP-6963 test wallet. The header shows the app's
 * "Connect Wallet" button until RainbowKit has loaded (a click loads it and opens the modal), then
 * RainbowKit's own.
 */
export async function connect(page: Page): Promise<void> {
  await page.getByTestId("connect-wallet").or(page.getByTestId("rk-connect-button")).first().click();
  await page.getByRole("dialog").getByText("Test Wallet", { exact: false }).first().click();
  // Connected: the account button, or RainbowKit's "Wrong network" on another chain.
  await page
    .getByTestId("rk-account-button")
    .or(page.getByTestId("rk-wrong-network-button"))
    .first()
    .waitFor({ timeout: 20_000 });
}
