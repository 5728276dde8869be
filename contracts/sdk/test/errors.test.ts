import { encodeErrorResult, type Abi, type Hex } from "viem";
import { describe, expect, it } from "vitest";
import {
  ContractError,
  decodeRevertData,
  describeMarket,
  fallbackSentence,
  findRevertData,
  formatKwh,
  formatQuote,
  POWERSHARE_ERRORS,
  SENTENCES,
  toPowerShareError,
  TransactionError,
} from "../index.ts";

const SLOT = 1_764_654_300n;
const MARKET_ID = (3n << 40n) | SLOT;
const TIMES = new Set([
  "slotStart",
  "tradableFrom",
  "updatedAt",
  "eta",
  "deadline",
  "availableAt",
  "effectiveFrom",
]);

const MONEY_ARGS = new Set(["available", "required"]);
const USDC_ARGS = new Set(["price", "referencePrice"]);
const KWH_ARGS = new Set(["amountWh", "minOrderWh", "maxWh", "filledWh"]);

/** A recognisable sample value for an error parameter. */
function sample(type: string, name: string, i: number): unknown {
  if (type === "address")
    return `0x${String(i + 1)
      .repeat(40)
      .slice(0, 40)}`;
  if (type === "bool") return true;
  if (type === "string") return `text-${name}`;
  if (type === "bytes32") return "0x736c6f744c656e67746800000000000000000000000000000000000000000000"; // "slotLength"
  if (type === "bytes1") return "0x01";
  if (type.startsWith("int")) return -7n;
  if (type === "uint256[]") return [1n];
  if (name === "marketId") return MARKET_ID;
  if (name === "orderId") return (MARKET_ID << 40n) | (1n << 32n) | (265n << 16n) | 2n;
  const small = ["uint8", "uint16", "uint24", "uint32", "uint40", "uint48"].includes(type);
  if (TIMES.has(name)) return small ? Number(SLOT) : SLOT;
  const v = BigInt(4200 + i * 11);
  return small ? Number(v % 200n) + 3 : v;
}

/** Whether the sentence shows the argument in some form (raw, as a date, as a market, as text). */
function mentions(sentence: string, name: string, type: string, value: unknown): boolean {
  if (type === "bytes32") return sentence.includes("slotLength") || sentence.includes(String(value));
  if (TIMES.has(name)) return sentence.includes(new Date(Number(value) * 1000).toISOString().slice(0, 16));
  if (name === "marketId") return sentence.includes(describeMarket(value));
  if (name === "orderId") return sentence.includes(String(value));
  if (name === "bandBps") return sentence.includes(`${Number(value) / 100}%`);
  // Money in USDC, energy in kWh (the arguments are base units and Wh).
  if (USDC_ARGS.has(name)) return sentence.includes(`${formatQuote(BigInt(value as bigint))} USDC`);
  if (KWH_ARGS.has(name)) return sentence.includes(`${formatKwh(BigInt(value as bigint))} kWh`);
  if (MONEY_ARGS.has(name) && typeof value === "bigint")
    return sentence.includes(`${formatQuote(value)} USDC`) || sentence.includes(String(value));
  return sentence.includes(String(value));
}

describe("error decoder", () => {
  it("knows every custom error of every contract ABI", () => {
    const names = new Set(POWERSHARE_ERRORS.map((e) => e.name));
    for (const n of [
      "MarketClosed",
      "InsufficientBalance",
      "SettlementNotReady",
      "AlreadyVoted",
      "ERC20InsufficientAllowance",
    ]) {
      expect(names.has(n)).toBe(true);
    }
    expect(POWERSHARE_ERRORS.length).toBeGreaterThan(80);
  });

  for (const item of POWERSHARE_ERRORS) {
    it(`decodes ${item.name} with its arguments and a sentence`, () => {
      const args = item.inputs.map((p, i) => sample(p.type, p.name ?? String(i), i));
      const data = encodeErrorResult({ abi: [item] as Abi, errorName: item.name, args } as never) as Hex;
      const d = decodeRevertData(data);
      expect(d, "decoded").toBeDefined();
      expect(d!.errorName).toBe(item.name);
      expect(d!.curated, `add a sentence for ${item.name} in sdk/errors/messages.ts`).toBe(true);
      expect(d!.sentence).toMatch(/[.!]$/);
      expect(d!.sentence).not.toMatch(/undefined|NaN|\[object/);
      item.inputs.forEach((p, i) => {
        const key = p.name || String(i);
        expect(d!.args[key]).toEqual(args[i]);
        expect(d!.args[String(i)]).toEqual(args[i]);
        expect(
          mentions(d!.sentence, key, p.type, args[i]),
          `${item.name}: "${d!.sentence}" should show ${key}`,
        ).toBe(true);
      });
    });
  }

  it("writes a sentence even when a parameter was renamed (arguments by position only)", () => {
    for (const [name, sentence] of Object.entries(SENTENCES)) {
      const text = sentence({ "0": 1n, "1": 2n, "2": 3n });
      expect(typeof text, name).toBe("string");
      expect(text.length, name).toBeGreaterThan(10);
    }
  });

  it("decodes require strings and panics", () => {
    const err = decodeRevertData(
      encodeErrorResult({
        abi: [{ type: "error", name: "Error", inputs: [{ name: "message", type: "string" }] }],
        errorName: "Error",
        args: ["nope"],
      }),
    );
    expect(err?.sentence).toBe("The contract refused: nope.");
    const panic = decodeRevertData(`0x4e487b71${17n.toString(16).padStart(64, "0")}`);
    expect(panic?.errorName).toBe("Panic");
    expect(panic?.sentence).toMatch(/overflowed/);
  });

  it("builds a sentence from name and arguments for an error without one", () => {
    expect(fallbackSentence("QuotaExceededForMeter", { meterId: 4, "0": 4, limit: 10n })).toBe(
      "The contract refused: Quota exceeded for meter (meterId 4, limit 10).",
    );
  });

  it("finds revert data deep in an error chain and turns it into a ContractError", () => {
    const item = POWERSHARE_ERRORS.find((e) => e.name === "MarketClosed")!;
    const data = encodeErrorResult({
      abi: [item] as Abi,
      errorName: "MarketClosed",
      args: [MARKET_ID],
    } as never);
    const rpcError = { message: "execution reverted", cause: { error: { code: 3, data } } };
    expect(findRevertData(rpcError)).toBe(data);
    const e = toPowerShareError(rpcError);
    expect(e).toBeInstanceOf(ContractError);
    expect((e as ContractError).errorName).toBe("MarketClosed");
    expect(e.message).toContain("its gate has passed");
    expect((e as ContractError).args.marketId).toBe(MARKET_ID);
  });

  it("wraps errors without revert data as TransactionError, first line only", () => {
    const e = toPowerShareError(new Error("fetch failed\n    at somewhere"));
    expect(e).toBeInstanceOf(TransactionError);
    expect(e.code).toBe("RPC_ERROR");
    expect(e.message).toBe("fetch failed");
    expect(toPowerShareError({ data: "0xdeadbeef00" })).toBeInstanceOf(TransactionError);
  });
});

describe("sentences in the units people use", () => {
  const say = (name: string, args: Record<string, unknown>) => SENTENCES[name]!(args);
  it("words the price band in USDC/kWh with the band's edge", () => {
    const args = { price: 310_000n, referencePrice: 250_000n, bandBps: 2000 };
    expect(say("PriceOutsideBand", args)).toBe(
      "The price 0.31 USDC/kWh is above this community's band of 0.3 USDC/kWh (reference 0.25 USDC/kWh ±20%).",
    );
    expect(say("PriceOutsideBand", { ...args, price: 190_000n })).toMatch(
      /below this community's band of 0\.2 USDC\/kWh/,
    );
  });
  it("words balances in USDC and amounts in kWh", () => {
    expect(say("InsufficientBalance", { available: 1_500_000n, required: 2_250_000n })).toBe(
      "The free balance of 1.5 USDC does not cover the 2.25 USDC this needs; deposit more first.",
    );
    expect(say("AmountTooSmall", { amountWh: 50n, minOrderWh: 100n })).toBe(
      "An order of 0.05 kWh is below the community's minimum of 0.1 kWh.",
    );
    expect(say("FillOrKillNotFilled", { filledWh: 600n, amountWh: 1_000n })).toMatch(
      /only 0\.6 kWh of 1 kWh/,
    );
  });
});
