/**
 * The dApp in a real Chromium (Debian's) against `next start` of the built app on a local stack
 * (Hardhat chain, deployed and seeded contracts, indexer), with an injected EIP-1193 wallet per
 * account: connect; deposit by permit; a seller's ask taken by a buyer with the tape, depth and
 * orders updating live in both browsers; cancel; an out-of-band price refused with its sentence;
 * the wrong-chain prompt; claim all after the gate; a treasury proposal voted by signature; the
 * CSV export; axe on every page.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import AxeBuilder from "@axe-core/playwright";
import type { Browser } from "playwright-core";
import { devAccount } from "../../scripts/seed/index.ts";
import { connect, launch, walletPage, type WalletPage } from "./support/browser.ts";
import { startStack, type Stack } from "./support/stack.ts";

const SELLER = devAccount(1); // Alice, meter #1
const BUYER = devAccount(4); // Dave
const VOTER = devAccount(2); // Bob

describe("PowerShare dApp in Chromium", { timeout: 600_000 }, () => {
  let stack: Stack;
  let browser: Browser;
  let seller: WalletPage;
  let buyer: WalletPage;
  let marketPath: string;
  /** Clicks a submit and waits for its confirmation toast; fails with the sentence the app showed. */
  const submitted = async (
    page: WalletPage["page"],
    button: ReturnType<WalletPage["page"]["getByTestId"]>,
    toast: string,
  ) => {
    await button.click();
    const ok = page.getByTestId("toast-success").filter({ hasText: toast });
    const err = page.getByTestId("toast-error");
    await ok.or(err).first().waitFor({ timeout: 30_000 });
    if (!(await ok.count())) assert.fail(`${toast} failed: ${await err.first().innerText()}`);
  };
  const num = (s: string | null) => Number((s ?? "").replace(/[^0-9.−-]/g, "").replace("−", "-"));

  before(async () => {
    stack = await startStack({ log: (l) => console.log(`  stack: ${l}`) });
    browser = await launch();
    seller = await walletPage(browser, { account: SELLER.address, rpcUrl: stack.rpcUrl });
    buyer = await walletPage(browser, { account: BUYER.address, rpcUrl: stack.rpcUrl });
    marketPath = `/markets/${stack.seed.slots[1]!.marketId}`;
  });

  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it("connects a wallet through RainbowKit", async () => {
    await seller.page.goto(`${stack.appUrl}/`);
    await connect(seller.page);
    const text = await seller.page.getByTestId("rk-account-button").first().innerText();
    assert.match(text.replace(/\s/g, ""), new RegExp(SELLER.address.slice(2, 4), "i"));
    assert.ok(seller.wallet.requests.includes("eth_requestAccounts"));
  });

  it("deposits by permit: one signature, one transaction", async () => {
    const p = seller.page;
    await p.goto(`${stack.appUrl}/portfolio`);
    const free = p.getByTestId("balance-free");
    await assert.doesNotReject(free.filter({ hasText: /\d/ }).waitFor());
    const before = num(await free.innerText());
    await p.getByLabel("Amount to deposit").fill("100");
    const sent = seller.wallet.requests.length;
    await p.getByTestId("deposit-permit").click();
    await p.waitForFunction((b) => {
      const t = document.querySelector('[data-testid="balance-free"]')?.textContent ?? "";
      return Number(t.replace(/[^0-9.]/g, "")) >= b + 100;
    }, before);
    const calls = seller.wallet.requests.slice(sent);
    assert.equal(calls.filter((m) => m === "eth_signTypedData_v4").length, 1, calls.join(","));
    assert.equal(calls.filter((m) => m === "eth_sendTransaction").length, 1, calls.join(","));
  });

  it("a seller's ask taken by a buyer: tape, depth and orders update live in both browsers", async () => {
    await buyer.page.goto(`${stack.appUrl}${marketPath}`);
    await connect(buyer.page);
    await seller.page.goto(`${stack.appUrl}${marketPath}`);
    const s = seller.page;
    await s.getByRole("group", { name: "Side" }).getByRole("button", { name: "Sell" }).click();
    await s.getByLabel("Price per kWh").fill("0.255");
    await s.getByLabel("Amount", { exact: true }).fill("1");
    await s.getByLabel("Delivering meter").selectOption({ index: 0 });
    const submit = s.getByTestId("order-submit");
    await assert.doesNotReject(submit.filter({ hasText: "Sell 1 kWh at 0.255" }).waitFor());
    assert.match(await s.getByTestId("lock-preview").innerText(), /0\.01 USDC/);
    await submitted(s, submit, "Sell order: confirmed");
    // The buyer's ladder shows the new best offer without a reload.
    await buyer.page.getByTestId("ladder-ask").filter({ hasText: "0.255" }).waitFor({ timeout: 15_000 });
    await s.getByTestId("my-order").filter({ hasText: "0.255" }).waitFor();

    const b = buyer.page;
    await b.getByRole("group", { name: "Side" }).getByRole("button", { name: "Buy" }).click();
    await b.getByLabel("Order type").selectOption("1");
    await b.getByLabel("Price per kWh").fill("0.255");
    await b.getByLabel("Amount", { exact: true }).fill("1");
    await submitted(
      b,
      b.getByTestId("order-submit").filter({ hasText: "Buy 1 kWh at 0.255" }),
      "Buy order: confirmed",
    );
    for (const page of [b, s]) {
      await page.getByTestId("tape-row").filter({ hasText: "0.255" }).first().waitFor({ timeout: 15_000 });
      await page
        .getByTestId("ladder-ask")
        .filter({ hasText: "0.255" })
        .waitFor({ state: "detached", timeout: 15_000 });
    }
    // The seller's order was filled: gone from its open orders.
    await s.getByTestId("my-order").filter({ hasText: "0.255" }).waitFor({ state: "detached" });
    assert.equal(await b.getByTestId("last-price").innerText(), "0.255");
  });

  it("cancels an open order", async () => {
    const s = seller.page;
    await s.getByLabel("Order type").selectOption("3");
    await s.getByLabel("Price per kWh").fill("0.29");
    await s.getByLabel("Amount", { exact: true }).fill("0.5");
    await s.getByTestId("order-submit").filter({ hasText: "Sell 0.5 kWh at 0.290" }).click();
    const row = s.getByTestId("my-order").filter({ hasText: "0.290" });
    await row.waitFor();
    await row.getByRole("button", { name: "Cancel" }).click();
    await row.waitFor({ state: "detached", timeout: 15_000 });
  });

  it("refuses an out-of-band price with its sentence, before the wallet opens", async () => {
    const s = seller.page;
    const sent = seller.wallet.requests.length;
    await s.getByLabel("Price per kWh").fill("0.31");
    await s.getByLabel("Amount", { exact: true }).fill("1");
    const why = await s.getByTestId("order-why").innerText();
    assert.equal(why, "Price 0.310 is outside this community's band of 0.20–0.30 USDC/kWh");
    assert.equal(await s.getByTestId("order-submit").isDisabled(), true);
    assert.equal(seller.wallet.requests.slice(sent).includes("eth_sendTransaction"), false);
  });

  it("prompts a wallet on another chain to switch, and sends nothing until then", async () => {
    const w = await walletPage(browser, { account: devAccount(5).address, rpcUrl: stack.rpcUrl });
    try {
      await w.page.goto(`${stack.appUrl}${marketPath}`);
      await connect(w.page);
      // The user switches the wallet to Ethereum mainnet.
      await w.page.evaluate(() =>
        (window as unknown as { __psTestWallet: { setChain(n: number): void } }).__psTestWallet.setChain(1),
      );
      const banner = w.page.getByTestId("wrong-chain");
      await banner.waitFor();
      await w.page.getByLabel("Price per kWh").fill("0.25");
      await w.page.getByLabel("Amount", { exact: true }).fill("1");
      assert.match(
        await w.page.getByTestId("order-why").innerText(),
        /Switch your wallet to PowerShare dev chain/,
      );
      await banner.getByRole("button", { name: /Switch to/ }).click();
      await banner.waitFor({ state: "detached" });
      assert.equal(w.wallet.requests.includes("eth_sendTransaction"), false);
    } finally {
      await w.context.close();
    }
  });

  it("after the gate, claimables appear and one click claims them all", async () => {
    const slot = stack.seed.slots[1]!.slotStart;
    const now = Number((await stack.pub.getBlock()).timestamp);
    await stack.increaseTime(slot - 300 - now + 5);
    await stack.indexed(await stack.pub.getBlockNumber());
    const p = seller.page;
    await p.goto(`${stack.appUrl}/portfolio`);
    await p.getByTestId("claimables").waitFor({ timeout: 20_000 });
    await p.getByTestId("claim-all").click();
    await p.getByTestId("claimables-empty").waitFor({ timeout: 20_000 });
  });

  it("creates a treasury proposal and votes on it by signature", async () => {
    const v = await walletPage(browser, { account: VOTER.address, rpcUrl: stack.rpcUrl });
    try {
      const p = v.page;
      await p.goto(`${stack.appUrl}/communities/${stack.seed.communityId}`);
      await connect(p);
      await p.getByLabel("Pay to").fill(devAccount(6).address);
      await p.getByLabel("Amount (USDC)").fill("1");
      await p.getByLabel("What for").fill("Fence for the community battery");
      await p.getByTestId("propose").click();
      const prop = p.getByTestId("proposal").filter({ hasText: "Fence for the community battery" });
      await prop.getByTestId("proposal-state").filter({ hasText: "Active" }).waitFor({ timeout: 20_000 });
      const before = v.wallet.requests.filter((m) => m === "eth_signTypedData_v4").length;
      await prop.getByTestId("vote-sig").click();
      await prop.filter({ hasText: "For 1" }).waitFor({ timeout: 20_000 });
      assert.equal(v.wallet.requests.filter((m) => m === "eth_signTypedData_v4").length, before + 1);
    } finally {
      await v.context.close();
    }
  });

  it("exports the trade history as CSV", async () => {
    const p = seller.page;
    await p.goto(`${stack.appUrl}/portfolio`);
    await p.getByTestId("history").waitFor({ timeout: 20_000 });
    const [download] = await Promise.all([p.waitForEvent("download"), p.getByTestId("csv-export").click()]);
    const csv = readFileSync((await download.path())!, "utf8");
    const [header, ...lines] = csv.trim().split(/\r\n/);
    assert.equal(
      header,
      "time_utc,kind,market_id,slot_start_utc,side,energy_kwh,value_usdc,price_usdc_per_kwh,tx",
    );
    const fill = lines
      .map((l) => l.split(","))
      .find((c) => c[1] === "fill" && c[5] === "1" && c[4] === "sell");
    assert.ok(fill, `a maker fill of 1 kWh in:\n${csv}`);
    assert.equal(fill[2], String(stack.seed.slots[1]!.marketId));
    assert.equal(fill[7], "0.255");
  });

  it("has no serious or critical accessibility violations on any page", async () => {
    const routes = [
      "/",
      "/markets",
      marketPath,
      "/portfolio",
      "/meters",
      "/communities",
      `/communities/${stack.seed.communityId}`,
      "/analytics",
      "/settings",
    ];
    const found: string[] = [];
    for (const r of routes) {
      await seller.page.goto(`${stack.appUrl}${r}`);
      // Pages poll the indexer, so the network never idles: wait for content, then a moment.
      await seller.page.locator("main h1, main .panel").first().waitFor();
      await seller.page.waitForTimeout(1_200);
      const res = await new AxeBuilder({ page: seller.page }).analyze();
      for (const v of res.violations)
        if (v.impact === "serious" || v.impact === "critical")
          found.push(`${r}: ${v.id} (${v.nodes.length}) ${v.help}`);
    }
    assert.deepEqual(found, []);
  });

  it("logged no errors or hydration warnings in the console", () => {
    const bad = [...seller.errors, ...buyer.errors].filter((e) =>
      /hydrat|Minified React error|Uncaught/i.test(e),
    );
    assert.deepEqual(bad, []);
  });
});
