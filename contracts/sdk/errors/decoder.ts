/**
 * Decodes any revert of any PowerShare contract into a typed ContractError with a sentence.
 *
 * The error ABI is built from every ABI the contracts package generates (generated/abis.ts: every
 * export named `…Abi`), so an error added to a contract is decoded as soon as the ABIs are
 * regenerated (`npm run build -w contracts`). Sentences come from messages.ts; an error without one
 * gets a sentence built from its name and arguments.
 */
import { decodeErrorResult, toFunctionSelector, type Abi, type Hex } from "viem";

type AbiError = Extract<Abi[number], { type: "error" }>;
import * as generated from "../../generated/abis.ts";
import { ContractError, PowerShareError, TransactionError } from "./sdk-errors.ts";
import { SENTENCES } from "./messages.ts";

function collectErrors(): AbiError[] {
  const bySelector = new Map<string, AbiError>();
  for (const [name, value] of Object.entries(generated)) {
    if (!name.endsWith("Abi") || !Array.isArray(value)) continue;
    for (const item of value as Abi) {
      if (item.type !== "error") continue;
      const signature = `${item.name}(${item.inputs.map((i) => i.type).join(",")})`;
      const selector = toFunctionSelector(signature);
      if (!bySelector.has(selector)) bySelector.set(selector, item);
    }
  }
  return [...bySelector.values()];
}

/** Every custom error of every PowerShare contract (deduplicated by selector). */
export const POWERSHARE_ERRORS: readonly AbiError[] = collectErrors();
const ERRORS_ABI = POWERSHARE_ERRORS as unknown as Abi;

/** Splits "MarketClosed" into "market closed". */
function words(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .toLowerCase();
}

/** The sentence of an error without an entry in messages.ts: its name and its arguments. */
export function fallbackSentence(errorName: string, args: Record<string, unknown>): string {
  const named = Object.entries(args).filter(([k]) => !/^\d+$/.test(k));
  const list = named.map(([k, v]) => `${k} ${String(v)}`).join(", ");
  const text = words(errorName);
  return `The contract refused: ${text.charAt(0).toUpperCase()}${text.slice(1)}${list ? ` (${list})` : ""}.`;
}

export interface DecodedRevert {
  errorName: string;
  args: Record<string, unknown>;
  sentence: string;
  /** Whether messages.ts has a sentence for it (false: generated from name and arguments). */
  curated: boolean;
}

/** Decodes revert data; undefined if it matches no known error. */
export function decodeRevertData(data: Hex): DecodedRevert | undefined {
  if (!data || data === "0x" || data.length < 10) return undefined;
  let decoded: { errorName: string; args?: readonly unknown[] | undefined; abiItem?: unknown };
  try {
    decoded = decodeErrorResult({ abi: ERRORS_ABI, data }) as typeof decoded;
  } catch {
    return undefined;
  }
  const inputs =
    (decoded.abiItem as { inputs?: readonly { name?: string }[] } | undefined)?.inputs ??
    (decoded.errorName === "Error"
      ? [{ name: "message" }]
      : decoded.errorName === "Panic"
        ? [{ name: "code" }]
        : []);
  const args: Record<string, unknown> = {};
  (decoded.args ?? []).forEach((value, i) => {
    args[String(i)] = value;
    const name = inputs[i]?.name;
    if (name) args[name] = value;
  });
  const curatedFn = SENTENCES[decoded.errorName];
  return {
    errorName: decoded.errorName,
    args,
    sentence: curatedFn ? curatedFn(args) : fallbackSentence(decoded.errorName, args),
    curated: curatedFn !== undefined,
  };
}

const HEX = /^0x[0-9a-fA-F]*$/;

/** Finds revert data anywhere in an error's cause chain (viem, RPC and provider errors). */
export function findRevertData(err: unknown): Hex | undefined {
  const seen = new Set<unknown>();
  const stack: unknown[] = [err];
  while (stack.length) {
    const e = stack.pop();
    if (!e || typeof e !== "object" || seen.has(e)) continue;
    seen.add(e);
    const o = e as Record<string, unknown>;
    for (const key of ["raw", "data"]) {
      const v = o[key];
      if (typeof v === "string" && HEX.test(v) && v.length >= 10) return v as Hex;
      if (v && typeof v === "object") stack.push(v);
    }
    if (o.cause) stack.push(o.cause);
    if (o.error) stack.push(o.error);
  }
  return undefined;
}

/**
 * Turns anything thrown by viem or an RPC into a PowerShareError: a ContractError when it carries
 * revert data of a known error, else a TransactionError with the shortest useful message.
 */
export function toPowerShareError(err: unknown): PowerShareError {
  if (err instanceof PowerShareError) return err;
  const data = findRevertData(err);
  if (data) {
    const d = decodeRevertData(data);
    if (d) return new ContractError(d.errorName, d.args, d.sentence, data, { cause: err });
  }
  const e = err as { shortMessage?: string; message?: string; details?: string } | undefined;
  const message = e?.shortMessage ?? e?.message ?? String(err);
  return new TransactionError("RPC_ERROR", message.split("\n")[0]!, data ? { data } : {}, { cause: err });
}

/** The sentence for anything thrown: a decoded contract error's sentence or the error's message. */
export function explainError(err: unknown): string {
  return toPowerShareError(err).message;
}
