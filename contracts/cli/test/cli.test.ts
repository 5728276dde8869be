/**
 * The real `powershare` binary against a local Hardhat chain: every command's human and --json
 * output, bad input refused with one clear line and a distinct exit code, and nothing sent.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { marketIdOf, openSlots } from "@powershare/contracts/sdk";
import {
  devAccount,
  REGISTRAR_INDEX,
  startTestStack,
  TEST_COMMUNITY,
  type TestStack,
} from "@powershare/contracts/sdk/testing";
import { encryptKeystore } from "../src/keys.ts";

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "bin", "powershare.ts");
const NODE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "..",
  "..",
  "..",
  "node_modules",
  ".bin",
  "node",
);

let stack: TestStack;
let dir: string;
let book: string;
let communityId: number;
let sellerMeter: number;
let buyerMeter: number;
let slot: number;
let market: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(args: string[], key?: number, extraEnv: Record<string, string> = {}): Promise<Run> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    POWERSHARE_RPC_URL: stack.url,
    POWERSHARE_ADDRESS_BOOK: book,
    ...(key === undefined ? {} : { POWERSHARE_PRIVATE_KEY: devAccount(key).privateKey }),
    ...extraEnv,
  };
  return new Promise((resolve) => {
    execFile(NODE, [BIN, ...args], { env, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number }).code ?? 1) : 0;
      resolve({ code: typeof code === "number" ? code : 1, stdout, stderr });
    });
  });
}

const json = <T>(r: Run): T => {
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as T;
};
const nonce = (i: number) => stack.publicClient.getTransactionCount({ address: devAccount(i).address });

beforeAll(async () => {
  stack = await startTestStack();
  dir = mkdtempSync(path.join(tmpdir(), "powershare-cli-"));
  book = path.join(dir, "book.json");
  writeFileSync(book, JSON.stringify(stack.addressBook));
  communityId = await stack.createCommunity();
  sellerMeter = await stack.onboard(1, communityId, 1_000_000_000n, 0);
  buyerMeter = await stack.onboard(2, communityId, 1_000_000_000n, 1);
  slot = openSlots(TEST_COMMUNITY, await stack.now())[1]!;
  market = `${communityId}:${slot}`;
});

afterAll(async () => {
  await stack?.stop();
});

describe("powershare (read commands)", () => {
  it("prints --help for every command", async () => {
    const top = await run(["--help"]);
    expect(top.code).toBe(0);
    for (const c of [
      "markets",
      "book",
      "buy",
      "sell",
      "cancel",
      "orders",
      "deposit",
      "withdraw",
      "claim",
      "settle",
      "meters",
      "communities",
      "keeper",
      "meter",
    ]) {
      expect(top.stdout).toContain(c);
    }
    const sell = await run(["sell", "--help"]);
    expect(sell.stdout).toMatch(/--meter <id>/);
  });

  it("lists communities as a table and as JSON", async () => {
    const t = await run(["communities"]);
    expect(t.code).toBe(0);
    expect(t.stdout).toMatch(/^id\s+name/m);
    expect(t.stdout).toContain("Test community");
    const j = json<{ communities: { id: number; tickSize: string; name: string }[] }>(
      await run(["communities", "--json"]),
    );
    expect(j.communities).toEqual([
      expect.objectContaining({ id: communityId, tickSize: "1000", name: "Test community" }),
    ]);
  });

  it("lists meters", async () => {
    const j = json<{ meters: { id: number; kind: string }[] }>(
      await run(["meters", "--json", "--community", String(communityId)]),
    );
    expect(j.meters.map((m) => [m.id, m.kind])).toEqual([
      [sellerMeter, "producer"],
      [buyerMeter, "consumer"],
    ]);
    const mine = await run(["meters", "--mine"], 1);
    expect(mine.stdout).toMatch(new RegExp(`^\\s*${sellerMeter}\\s+${communityId}\\s+producer`, "m"));
  });
});

describe("powershare (trading)", () => {
  let askId: string;
  it("the registrar certifies a meter (meter certify) and its owner registers it (meter register)", async () => {
    const file = path.join(dir, "certificate.json");
    const owner = devAccount(2).address;
    const args = [
      "meter",
      "certify",
      "--community",
      String(communityId),
      "--owner",
      owner,
      "--kind",
      "storage",
    ];
    const more = ["--capacity-w", "6000", "--device-key", "0x00000000000000000000000000000000000000c1"];
    // Only the community's registrar may certify (here: the buyer is not).
    const refused = await run([...args, ...more], 2);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/not the meter registrar/);
    const certified = await run([...args, ...more, "--out", file], REGISTRAR_INDEX);
    expect(certified.stderr).toBe("");
    expect(certified.stdout).toContain(file);
    const registered = json<{ meterId: number; certificate: { capacityW: number } }>(
      await run(["meter", "register", file, "--json"], 2),
    );
    expect(registered.certificate.capacityW).toBe(6000);
    const { meters } = json<{ meters: { id: number; kind: number; capacityW: number }[] }>(
      await run(["meters", "--json", "--owner", owner]),
    );
    expect(meters.find((m) => m.id === registered.meterId)).toMatchObject({ capacityW: 6000 });
    const again = await run(["meter", "register", file], 2);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/already registered a meter/);
  });

  it("sells, shows the book and the market, buys against it", async () => {
    const sell = json<{ orderId: string; restingWh: string; tick: number; tx: string }>(
      await run(["sell", market, "1.5", "0.26", "--meter", String(sellerMeter), "--json"], 1),
    );
    expect(sell).toMatchObject({ restingWh: "1500", tick: 260 });
    expect(sell.tx).toMatch(/^0x[0-9a-f]{64}$/);
    askId = sell.orderId;
    const b = await run(["book", market]);
    expect(b.stdout).toMatch(/ask\s+0\.26\s+260\s+1\.5/);
    const bj = json<{ bestAsk: number; asks: { availableWh: string }[] }>(
      await run(["book", market, "--json"]),
    );
    expect(bj).toMatchObject({ bestAsk: 260, asks: [{ availableWh: "1500" }] });
    const m = await run(["markets", String(communityId)]);
    expect(m.stdout).toContain(market);
    const buy = await run(["buy", market, "0.5", "0.265", "--meter", String(buyerMeter), "--type", "ioc"], 2);
    expect(buy.code).toBe(0);
    expect(buy.stdout).toMatch(/filled 0\.5 kWh for 0\.13 USDC/);
  });

  it("lists and cancels orders", async () => {
    const o = json<{ orders: { orderId: string; filledWh: string; remainingWh: string }[] }>(
      await run(["orders", "--json"], 1),
    );
    expect(o.orders).toEqual([
      expect.objectContaining({ orderId: askId, filledWh: "500", remainingWh: "1000" }),
    ]);
    const human = await run(["orders"], 1);
    expect(human.stdout).toContain(askId);
    const dry = await run(["cancel", askId, "--dry-run"], 1);
    expect(dry.stdout).toContain("[dry run]");
    const c = await run(["cancel", askId], 1);
    expect(c.code).toBe(0);
    expect(c.stdout).toContain(`cancelled order ${askId}: 1 kWh`);
  });

  it("deposits and withdraws", async () => {
    await stack.send(
      0,
      stack.addresses.quoteToken,
      (await import("@powershare/contracts/sdk/testing")).testAbis.usdc,
      "mint",
      [devAccount(2).address, 10_000_000n],
    );
    const d = json<{ method: string; balance: { free: string; wallet: string } }>(
      await run(["deposit", "7", "--json"], 2),
    );
    expect(d.method).toBe("permit");
    expect(d.balance.wallet).toBe("3000000");
    const w = await run(["withdraw", "2.5"], 2);
    expect(w.code).toBe(0);
    expect(w.stdout).toMatch(/withdrew 2\.5 USDC/);
    const bal = await stack.publicClient.readContract({
      address: stack.addresses.quoteToken,
      abi: [
        {
          type: "function",
          name: "balanceOf",
          stateMutability: "view",
          inputs: [{ type: "address" }],
          outputs: [{ type: "uint256" }],
        },
      ],
      functionName: "balanceOf",
      args: [devAccount(2).address],
    });
    expect(bal).toBe(5_500_000n);
  });

  it("signs with an encrypted keystore", async () => {
    const file = path.join(dir, "key.json");
    writeFileSync(file, encryptKeystore(devAccount(2).privateKey, "correct horse", { n: 1024 }));
    const ok = await run(["withdraw", "0.5", "--keystore", file], undefined, {
      POWERSHARE_KEYSTORE_PASSWORD: "correct horse",
    });
    expect(ok.code).toBe(0);
    const bad = await run(["withdraw", "0.5", "--keystore", file], undefined, {
      POWERSHARE_KEYSTORE_PASSWORD: "wrong",
    });
    expect(bad.code).toBe(6);
    expect(bad.stderr.trim()).toBe("error: wrong keystore password (MAC mismatch)");
  });
});

describe("powershare (bad input: one line, non-zero, nothing sent)", () => {
  const cases: [string, () => string[], number, RegExp][] = [
    [
      "unknown market",
      () => ["buy", `99:${slot}`, "1", "0.25", "--meter", String(buyerMeter)],
      3,
      /community 99 does not exist/,
    ],
    [
      "zero amount",
      () => ["buy", market, "0", "0.25", "--meter", String(buyerMeter)],
      2,
      /greater than zero/,
    ],
    [
      "price off the grid",
      () => ["buy", market, "1", "0.2505", "--meter", String(buyerMeter)],
      2,
      /off the tick grid/,
    ],
    ["malformed market", () => ["book", "nope"], 2, /market id must be/],
    [
      "closed market",
      () => ["buy", `${communityId}:${slot - 2 * 900}`, "1", "0.25", "--meter", String(buyerMeter)],
      3,
      /closed/,
    ],
    [
      "someone else's meter",
      () => ["buy", market, "1", "0.25", "--meter", String(sellerMeter)],
      3,
      /belongs to/,
    ],
    ["withdraw too much", () => ["withdraw", "1000000"], 3, /cannot be withdrawn/],
    ["unknown order type", () => ["buy", market, "1", "0.25", "--meter", "2", "--type", "gtc"], 2, /invalid/],
  ];
  for (const [name, args, code, re] of cases) {
    it(name, async () => {
      const before = await nonce(2);
      const r = await run(args(), 2);
      expect(r.code).toBe(code);
      expect(r.stderr.trim().split("\n")[0]).toMatch(re);
      expect(r.stdout).toBe("");
      expect(await nonce(2)).toBe(before);
    });
  }

  it("no key", async () => {
    const r = await run(["deposit", "1"]);
    expect(r.code).toBe(6);
    expect(r.stderr.trim()).toMatch(/^error: no signing key: set POWERSHARE_PRIVATE_KEY/);
  });

  it("wrong chain", async () => {
    const r = await run(["communities", "--chain", "polygon"]);
    expect(r.code).toBe(6);
    expect(r.stderr.trim()).toMatch(/is chain 31337, not Polygon \(137\)/);
  });

  it("unreachable RPC", async () => {
    const r = await run(["communities", "--rpc", "http://127.0.0.1:9"]);
    expect(r.code).toBe(5);
    expect(r.stderr.trim()).toBe("error: cannot reach the RPC at http://127.0.0.1:9");
  });
});

describe("powershare (settlement)", () => {
  it("claims, settles and refunds through claim --all, settle and keeper --once", async () => {
    // A second trade so the keeper has work of its own: seller 1 asks, buyer 2 lifts part of it.
    const slot2 = openSlots(TEST_COMMUNITY, await stack.now())[2]!;
    const m2 = `${communityId}:${slot2}`;
    expect((await run(["sell", m2, "1", "0.3", "--meter", String(sellerMeter)], 1)).code).toBe(0);
    expect(
      (await run(["buy", m2, "0.4", "0.3", "--meter", String(buyerMeter), "--type", "ioc"], 2)).code,
    ).toBe(0);

    const early = await run(["claim", "--all"], 1);
    expect(early.stdout.trim()).toBe("nothing to claim");
    await stack.warpTo(slot - TEST_COMMUNITY.gateLead);
    const c = json<{ orders: string[]; credited: string }>(await run(["claim", "--all", "--json"], 1));
    expect(c.orders).toHaveLength(1);
    await stack.warpTo(slot + 900 + 1);
    await stack.report([{ meterId: sellerMeter, slotStart: slot, importedWh: 0n, exportedWh: 250n }]);
    await stack.warpTo(slot + 900 + 3600);
    const s = json<{ settled: number; refunded: number; settlement: { complete: boolean } }>(
      await run(["settle", market, "--json"], 5),
    );
    expect(s).toMatchObject({ settled: 1, refunded: 1, settlement: { complete: true } });
    const again = await run(["settle", market], 5);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/settled 0 seller meter\(s\), paid 0 refund\(s\)/);

    // The keeper does the same for the second market, with no report (full refund).
    await stack.warpTo(slot2 + 900 + 3600);
    const k = json<{ claimed: number; settled: number; refunded: number; failures: number }>(
      await run(["keeper", "--once", "--json", "--log-level", "silent"], 6),
    );
    expect(k).toMatchObject({ claimed: 1, settled: 1, refunded: 1, failures: 0 });
    const k2 = json<{ claimed: number; transactions: number }>(
      await run(["keeper", "--once", "--json", "--log-level", "silent"], 6),
    );
    expect(k2).toMatchObject({ claimed: 0, transactions: 0 });
    expect(marketIdOf(communityId, slot2) > 0n).toBe(true);
  });
});
