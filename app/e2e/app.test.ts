/**
 * The dApp in a real Chromium (Debian's) against `next start` of the built app on a local stack
 * (Hardhat chain, deployed and seeded contracts, indexer), with an injected EIP-1193 wallet per
 * account: connect; deposit by permit; a seller's ask taken by a buyer with the tape, depth and
 * orders updating live in both browsers; cancel; an out-of-band price refused with its sentence;
 * the wrong-chain prompt; claim all after the gate; after the slot and the oracle's report, the
 * seller's payment and the buyer's refund claimed with one click each (balances to the unit); a
 * treasury proposal voted by signature to quorum, queued and executed; the CSV export; axe on every
 * page.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import AxeBuilder from "@axe-core/playwright";
import type { Browser } from "playwright-core";
import { erc20Abi, type Abi, type Address } from "viem";
import {
  deliverySettlementAbi,
  energyMarketAbi,
  REPORT_TYPES,
  reportDomain,
  treasuryGovernorAbi,
} from "@powershare/contracts";
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

  it("after the slot, the oracle's report makes the seller's payment and the buyer's refund claimable: one click each, to the unit", async () => {
    const settlement = stack.book.contracts.DeliverySettlement!.address;
    const market = stack.book.contracts.EnergyMarket!.address;
    const meterId = stack.seed.members.find((m) => m.account.address === SELLER.address)!.meter.meterId;
    // Alice sold in the first two seeded slots: the seed's 0.5 kWh to Dave, and this test's 1 kWh.
    const sold = stack.seed.slots.slice(0, 2);
    const lastEnd = sold[1]!.slotStart + 900;
    await stack.increaseTime(lastEnd - Number((await stack.pub.getBlock()).timestamp) + 1);
    // The oracle reports 0.6 kWh exported for the 1 kWh sale; the seed's sale gets no report.
    const reports = [{ meterId, slotStart: sold[1]!.slotStart, importedWh: 0n, exportedWh: 600n }];
    const oracle = devAccount(9).account;
    const signature = await oracle.signTypedData({
      domain: reportDomain(stack.chainId, settlement),
      types: REPORT_TYPES,
      primaryType: "ReportBatch",
      message: { reports },
    });
    await stack.send(oracle.address, settlement, deliverySettlementAbi, "submitReports", [
      reports,
      [oracle.address],
      [signature],
    ]);
    await stack.increaseTime(3600); // the reporting window

    // What settlement owes, by DeliverySettlement's rules, from the chain's figures.
    const read = <T>(address: Address, abi: Abi, functionName: string, args: readonly unknown[]) =>
      stack.pub.readContract({ address, abi, functionName, args }) as Promise<T>;
    const owed = { payout: 0n, slashed: 0n, refund: new Map<bigint, bigint>() };
    for (const [i, { marketId }] of sold.entries()) {
      const sale = await read<{ soldWh: bigint; proceeds: bigint }>(market, energyMarketAbi, "sale", [
        marketId,
        meterId,
      ]);
      const bond = await read<bigint>(market, energyMarketAbi, "saleBond", [marketId, meterId]);
      const totals = await read<{ feeBps: number; tradedValue: bigint }>(
        market,
        energyMarketAbi,
        "marketTotals",
        [marketId],
      );
      // Reported: paid pro rata, fee off, bond slashed for the rest. Unreported (the oracle's
      // failure, not the seller's): no payment, no slash, the buyers refunded in full.
      const delivered = i === 1 ? 600n : 0n;
      const gross = (BigInt(sale.proceeds) * delivered) / BigInt(sale.soldWh);
      const fee = (gross * BigInt(totals.feeBps)) / 10_000n;
      const slashed = i === 1 ? bond - (bond * delivered) / BigInt(sale.soldWh) : 0n;
      owed.payout += gross - fee;
      owed.slashed += slashed;
      // Dave is each market's only buyer: the whole refund pool is his.
      owed.refund.set(marketId, BigInt(sale.proceeds) - gross + slashed);
      if (i === 1) assert.equal(BigInt(sale.soldWh), 1000n);
    }
    const balance = async (a: Address) => {
      const [free, locked] = await read<[bigint, bigint]>(market, energyMarketAbi, "balanceOf", [a]);
      return { free, locked };
    };
    await stack.indexed(await stack.pub.getBlockNumber());

    // The seller: maker claims of the closed markets and the payment for what the meter delivered.
    const sellerBefore = await balance(SELLER.address);
    const s = seller.page;
    await s.goto(`${stack.appUrl}/portfolio`);
    const sale = s.getByTestId("claimable-sale").filter({ hasText: "0.6 of 1 kWh" });
    await sale.waitFor({ timeout: 20_000 });
    assert.equal(await s.getByTestId("claimable-sale").count(), 2);
    const sends = seller.wallet.requests.length;
    await s.getByTestId("claim-all").click();
    await s.getByTestId("claimables-empty").waitFor({ timeout: 30_000 });
    const sellerAfter = await balance(SELLER.address);
    assert.equal(sellerAfter.locked, 0n);
    assert.equal(sellerAfter.free, sellerBefore.free + sellerBefore.locked - owed.slashed + owed.payout);
    assert.ok(seller.wallet.requests.slice(sends).includes("eth_sendTransaction"));

    // The buyer: the refund for the undelivered energy of both markets, and its bids' locks back.
    await stack.indexed(await stack.pub.getBlockNumber());
    const buyerBefore = await balance(BUYER.address);
    const b = buyer.page;
    await b.goto(`${stack.appUrl}/portfolio`);
    await b.getByTestId("claimable-refund").nth(1).waitFor({ timeout: 20_000 });
    await b.getByTestId("claim-all").click();
    await b.getByTestId("claimables-empty").waitFor({ timeout: 30_000 });
    const buyerAfter = await balance(BUYER.address);
    const refunds = [...owed.refund.values()].reduce((x, y) => x + y, 0n);
    assert.equal(buyerAfter.locked, 0n);
    assert.equal(buyerAfter.free, buyerBefore.free + buyerBefore.locked + refunds);
    for (const [marketId, refund] of owed.refund) {
      const claimed = await read<boolean>(settlement, deliverySettlementAbi, "refundClaimed", [
        marketId,
        BUYER.address,
      ]);
      assert.ok(claimed && refund > 0n);
    }
  });

  it("a treasury proposal: created, voted by signature to quorum, queued and executed in the UI", async () => {
    const gov = stack.book.contracts.TreasuryGovernor!.address;
    const usdc = stack.book.quoteToken;
    const recipient = devAccount(6).address;
    const amount = 1_500n; // 0.0015 USDC: the treasury holds the fee of the settled sale
    const wallet = (a: Address) =>
      stack.pub.readContract({ address: usdc, abi: erc20Abi, functionName: "balanceOf", args: [a] });
    const before = await wallet(recipient);
    const voters = [devAccount(2), devAccount(3), devAccount(5)]; // Bob, Carol, Erin: admitted by the seed
    const pages: WalletPage[] = [];
    const open = async (i: number) => {
      const w = await walletPage(browser, { account: voters[i]!.address, rpcUrl: stack.rpcUrl });
      pages.push(w);
      await w.page.goto(`${stack.appUrl}/communities/${stack.seed.communityId}`);
      await connect(w.page);
      return w;
    };
    try {
      const v = await open(0);
      const p = v.page;
      await p.getByLabel("Pay to").fill(recipient);
      await p.getByLabel("Amount (USDC)").fill("0.0015");
      await p.getByLabel("What for").fill("Fence for the community battery");
      await submitted(p, p.getByTestId("propose"), "Propose: confirmed");
      const row = (page: WalletPage["page"]) =>
        page.getByTestId("proposal").filter({ hasText: "Fence for the community battery" });
      await row(p).getByTestId("proposal-state").filter({ hasText: "Active" }).waitFor({ timeout: 20_000 });
      const id = (await row(p).locator("strong").first().innerText()).replace("#", "");
      const { quorum } = await stack.pub.readContract({
        address: gov,
        abi: treasuryGovernorAbi,
        functionName: "proposal",
        args: [BigInt(id)],
      });
      // Votes by signature until the quorum is met (at least two voters, each in its own browser).
      const needed = Math.max(2, Number(quorum));
      assert.ok(needed <= voters.length, `quorum ${quorum} needs more voters than the test has`);
      for (let i = 0; i < needed; i++) {
        const w = i === 0 ? v : await open(i);
        const signed = w.wallet.requests.filter((m) => m === "eth_signTypedData_v4").length;
        await submitted(w.page, row(w.page).getByTestId("vote-sig"), "Vote by signature: confirmed");
        assert.equal(w.wallet.requests.filter((m) => m === "eth_signTypedData_v4").length, signed + 1);
      }
      await row(p)
        .filter({ hasText: `For ${needed}` })
        .waitFor({ timeout: 20_000 });

      // The vote closes (voting period 1 h): queue; the timelock (10 min) passes: execute.
      const { voteStart } = await stack.pub.readContract({
        address: gov,
        abi: treasuryGovernorAbi,
        functionName: "proposal",
        args: [BigInt(id)],
      });
      const voteEnd = Number(voteStart) + 3600;
      await stack.increaseTime(voteEnd - Number((await stack.pub.getBlock()).timestamp) + 1);
      await row(p)
        .getByTestId("proposal-state")
        .filter({ hasText: "Succeeded" })
        .waitFor({ timeout: 20_000 });
      await submitted(p, row(p).getByTestId("queue"), "Queue: confirmed");
      await row(p).getByTestId("proposal-state").filter({ hasText: "Queued" }).waitFor({ timeout: 20_000 });
      await stack.increaseTime(601);
      await submitted(p, row(p).getByTestId("execute"), "Execute: confirmed");
      await row(p).getByTestId("proposal-state").filter({ hasText: "Executed" }).waitFor({ timeout: 20_000 });
      assert.equal(await wallet(recipient), before + amount);

      // The timeline: proposed, each vote, the close, queued, executed — with the executed time.
      await row(p).locator("summary", { hasText: "Timeline" }).click();
      const timeline = row(p).getByTestId("proposal-timeline");
      await timeline
        .locator('[data-step="executed"].done')
        .filter({ hasText: /Executed: 0\.0015 USDC paid to .* · \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/ })
        .waitFor({ timeout: 20_000 });
      const steps = await timeline
        .locator("li")
        .evaluateAll((els) => els.map((e) => `${e.getAttribute("data-step")}:${e.className}`));
      const votesCast = voters.slice(0, needed).map((x) => `vote-${x.address.toLowerCase()}:done`);
      assert.deepEqual(
        [steps[0], [...steps.slice(1, -3)].sort(), ...steps.slice(-3)],
        ["proposed:done", votesCast.sort(), "closed:done", "queued:done", "executed:done"],
      );
    } finally {
      for (const w of pages) await w.context.close();
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

  it("at phone width the nav folds behind a Menu button: keyboard reachable, every link there, axe clean", async () => {
    const w = await walletPage(browser, {
      account: SELLER.address,
      rpcUrl: stack.rpcUrl,
      viewport: { width: 390, height: 844 },
    });
    try {
      const p = w.page;
      await p.goto(`${stack.appUrl}/markets`);
      const nav = p.getByRole("navigation", { name: "Main" });
      const menu = p.getByRole("button", { name: "Menu" });
      await menu.waitFor();
      assert.equal(await nav.isVisible(), false);
      assert.equal(await menu.getAttribute("aria-expanded"), "false");
      // Keyboard: Tab from the top reaches the button (after the skip link and the brand).
      let reached = false;
      for (let i = 0; i < 6 && !reached; i++) {
        await p.keyboard.press("Tab");
        reached = await menu.evaluate((el) => el === document.activeElement);
      }
      assert.ok(reached, "the Menu button is reachable with Tab");
      await p.keyboard.press("Enter");
      await nav.waitFor();
      assert.equal(await menu.getAttribute("aria-expanded"), "true");
      const links = await nav.getByRole("link").allInnerTexts();
      assert.deepEqual(links.slice(0, 6), [
        "Home",
        "Markets",
        "Portfolio",
        "Meters",
        "Communities",
        "Analytics",
      ]);
      for (const l of await nav.getByRole("link").all()) {
        const box = (await l.boundingBox())!;
        assert.ok(box.x >= 0 && box.x + box.width <= 390, `${await l.innerText()} fits the screen`);
      }
      const res = await new AxeBuilder({ page: p }).analyze();
      const bad = res.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
      assert.deepEqual(
        bad.map((v) => v.id),
        [],
      );
      await p.keyboard.press("Tab");
      await p.keyboard.press("Escape");
      await nav.waitFor({ state: "hidden" });
      assert.ok(await menu.evaluate((el) => el === document.activeElement), "focus back on Menu");
      // A link navigates and closes the menu.
      await menu.click();
      await nav.getByRole("link", { name: "Portfolio" }).click();
      await p.waitForURL(/\/portfolio$/);
      await nav.waitFor({ state: "hidden" });
    } finally {
      await w.context.close();
    }
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
