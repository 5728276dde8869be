/**
 * Notifications in the dApp with the real notifier (its own process on the private stack, SIWE
 * domain = the app's host): a member signs in with Ethereum from Settings through the injected
 * wallet, saves an email (read back from the notifier; a bad one refused with the notifier's
 * sentence), and sees an in-app notification for a fill of her ask arrive live in the header's
 * bell, with the unread count.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import AxeBuilder from "@axe-core/playwright";
import type { Browser, Page } from "playwright-core";
import { createWalletClient, defineChain, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { createPowerShare, addressesFromBook } from "@powershare/contracts/sdk";
import { devAccount } from "../../scripts/seed/index.ts";
import { connect, launch, walletPage, type WalletPage } from "./support/browser.ts";
import { startStack, type Stack } from "./support/stack.ts";

const ALICE = devAccount(1); // seeded ask of 1.5 kWh at 0.260 + k on slot k
const CAROL = devAccount(3); // seeded consumer

async function seriousViolations(page: Page): Promise<string[]> {
  const res = await new AxeBuilder({ page }).analyze();
  return res.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.nodes.length}) ${v.help}: ${v.nodes[0]?.target.join(" ")}`);
}

describe("notifications in the dApp, with the real notifier", { timeout: 300_000 }, () => {
  let stack: Stack;
  let browser: Browser;
  let alice: WalletPage;
  const me = ALICE.address.toLowerCase();

  before(async () => {
    stack = await startStack({ notifier: true, log: (l) => console.log(`  stack: ${l}`) });
    browser = await launch();
    alice = await walletPage(browser, { account: ALICE.address, rpcUrl: stack.rpcUrl });
  });
  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it("signs in with Ethereum from Settings and saves an email", async () => {
    const p = alice.page;
    await p.goto(`${stack.appUrl}/settings`);
    await connect(p);
    await p.getByTestId("notifier-sign-in").click();
    await p.getByTestId("notifier-signed-in").waitFor({ timeout: 20_000 });
    assert.ok(alice.wallet.requests.includes("personal_sign"), alice.wallet.requests.join(","));

    const email = p.getByLabel("Email", { exact: true });
    await email.fill("alice@example.org");
    await p.getByTestId("notifier-save").click();
    await p.getByTestId("notifier-saved").waitFor();
    // The notifier has it, for this address only.
    const token = await p.evaluate(
      (a) =>
        (JSON.parse(sessionStorage.getItem(`powershare.notifier.session.${a}`)!) as { token: string }).token,
      me,
    );
    const prefs = (await (
      await fetch(`${stack.notifierUrl}/v1/accounts/${me}/preferences`, {
        headers: { authorization: `Bearer ${token}` },
      })
    ).json()) as { email: string };
    assert.equal(prefs.email, "alice@example.org");

    await email.fill("alice@");
    await p.getByTestId("notifier-save").click();
    assert.equal(await p.getByTestId("notifier-error").innerText(), '"alice@" is not a valid email address');
    await p.reload();
    await p.getByTestId("notifier-signed-in").waitFor({ timeout: 20_000 });
    assert.equal(await p.getByLabel("Email", { exact: true }).inputValue(), "alice@example.org");
    await p.getByTestId("notifier-matrix").waitFor();
    assert.deepEqual(await seriousViolations(p), []);
  });

  it("shows a fill of her ask live in the bell, with the unread count", async () => {
    const p = alice.page;
    const bell = p.getByTestId("notifications-bell");
    // The seed's trade filled part of her first ask: told once a block confirms it.
    await stack.rpc("evm_mine", []);
    await bell.click();
    await p
      .getByTestId("notification")
      .first()
      .waitFor({ timeout: 20_000 })
      .catch(async (e: unknown) => {
        const token = await p.evaluate(
          (a) =>
            (JSON.parse(sessionStorage.getItem(`powershare.notifier.session.${a}`)!) as { token: string })
              .token,
          me,
        );
        const list = await (
          await fetch(`${stack.notifierUrl}/v1/accounts/${me}/notifications`, {
            headers: { authorization: `Bearer ${token}` },
          })
        ).text();
        const health = await (await fetch(`${stack.notifierUrl}/health`)).text();
        throw new Error(
          `${(e as Error).message}\nnotifier list: ${list}\nhealth: ${health}\npage errors: ${alice.errors.join("\n")}`,
        );
      });
    await p.getByTestId("notifications-stream").filter({ hasText: "live" }).waitFor();
    const before = await p.getByTestId("notification").count();
    await bell.click();
    assert.equal(await p.getByTestId("notifications-unread").count(), 0);

    // Carol takes 0.5 kWh of Alice's ask on the second slot (0.261 USDC/kWh).
    const chain = defineChain({
      id: 31337,
      name: "hardhat",
      nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
      rpcUrls: { default: { http: [stack.rpcUrl] } },
    });
    const carol = createPowerShare({
      publicClient: stack.pub,
      walletClient: createWalletClient({
        account: privateKeyToAccount(CAROL.privateKey),
        chain,
        transport: http(stack.rpcUrl),
      }),
      addresses: addressesFromBook(stack.book),
    });
    const meterId = stack.seed.members.find((m) => m.account.index === 3)!.meter.meterId;
    await carol.place({
      communityId: stack.seed.communityId,
      slotStart: stack.seed.slots[1]!.slotStart,
      side: "buy",
      tick: 261,
      amountWh: 500n,
      meterId,
      type: "ioc",
    });
    const t0 = Date.now();
    await stack.rpc("evm_mine", []); // the notifier tells after 1 confirmation
    await p.getByTestId("notifications-unread").filter({ hasText: /^1$/ }).waitFor({ timeout: 20_000 });
    console.log(`  fill confirmed → in the bell in ${Date.now() - t0} ms`);

    await bell.click();
    const items = p.getByTestId("notification");
    assert.equal(await items.count(), before + 1);
    const newest = await items.first().innerText();
    assert.match(newest, /0\.5 kWh of your sell order/);
    assert.match(newest, /0\.261/);
    await p.getByTestId("notifications-unread").waitFor({ state: "detached" });
    assert.deepEqual(await seriousViolations(p), []);
    assert.deepEqual(
      alice.errors.filter((e) => /hydrat|Minified React error|Uncaught/i.test(e)),
      [],
    );
  });
});
