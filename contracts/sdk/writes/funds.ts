/** Deposits (EIP-2612 permit, approve fallback) and withdrawals of the quote token. */
import { erc20Abi, parseSignature, type Abi, type Address, type Hex, type TypedDataDomain } from "viem";
import { energyMarketAbi, PERMIT_TYPES } from "../../index.ts";
import { chainNow, requireAccount, type SdkContext } from "../context.ts";
import { PreflightError } from "../errors/sdk-errors.ts";
import { getBalances } from "../reads/accounts.ts";
import { formatQuote } from "../units.ts";
import { checkAmount } from "./checks.ts";
import { dryRunResult, execute, type WriteOptions, type WriteResult } from "./execute.ts";
import type { TxResult } from "../tx/receipts.ts";

const MARKET_ABI = energyMarketAbi as unknown as Abi;

const PERMIT_TOKEN_ABI = [
  {
    type: "function",
    name: "nonces",
    stateMutability: "view",
    inputs: [{ name: "owner", type: "address" }],
    outputs: [{ type: "uint256" }],
  },
  {
    type: "function",
    name: "eip712Domain",
    stateMutability: "view",
    inputs: [],
    outputs: [
      { name: "fields", type: "bytes1" },
      { name: "name", type: "string" },
      { name: "version", type: "string" },
      { name: "chainId", type: "uint256" },
      { name: "verifyingContract", type: "address" },
      { name: "salt", type: "bytes32" },
      { name: "extensions", type: "uint256[]" },
    ],
  },
] as const;

export type DepositMethod = "auto" | "permit" | "approve";

export interface DepositOptions extends WriteOptions {
  /** "auto" (default): permit if the token and the wallet support it, else approve + deposit. */
  method?: DepositMethod;
  /** Permit validity, seconds from now. Default 1 h. */
  permitTtlSeconds?: number;
}

export interface DepositResult {
  method: "permit" | "approve";
  /** The approval, when one was needed. */
  approval?: TxResult | undefined;
  deposit: WriteResult<void>;
}

async function checkPaused(ctx: SdkContext): Promise<void> {
  const paused = await ctx.publicClient.readContract({
    address: ctx.addresses.market,
    abi: energyMarketAbi,
    functionName: "paused",
  });
  if (paused)
    throw new PreflightError("PAUSED", "the market is paused: deposits are stopped (withdrawals stay open)");
}

/** The token's EIP-712 domain (ERC-5267), or undefined if it does not publish one. */
async function permitDomain(ctx: SdkContext): Promise<TypedDataDomain | undefined> {
  try {
    const [, name, version, chainId, verifyingContract] = await ctx.publicClient.readContract({
      address: ctx.addresses.quoteToken,
      abi: PERMIT_TOKEN_ABI,
      functionName: "eip712Domain",
    });
    return { name, version, chainId: Number(chainId), verifyingContract };
  } catch {
    return undefined;
  }
}

async function signPermit(
  ctx: SdkContext,
  owner: Address,
  amount: bigint,
  deadline: bigint,
): Promise<{ v: number; r: Hex; s: Hex } | undefined> {
  const domain = await permitDomain(ctx);
  if (!domain) return undefined;
  const nonce = await ctx.publicClient.readContract({
    address: ctx.addresses.quoteToken,
    abi: PERMIT_TOKEN_ABI,
    functionName: "nonces",
    args: [owner],
  });
  const wallet = ctx.walletClient!;
  const signature = await wallet.signTypedData({
    account: wallet.account!,
    domain,
    types: PERMIT_TYPES,
    primaryType: "Permit",
    message: { owner, spender: ctx.addresses.market, value: amount, nonce, deadline },
  });
  const sig = parseSignature(signature);
  const v = sig.v !== undefined ? Number(sig.v) : (sig.yParity ?? 0) + 27;
  return { v, r: sig.r, s: sig.s };
}

/**
 * Deposits `amount` (quote base units) into the market's free balance. Checks the market is not
 * paused and the wallet holds the amount; then signs a permit (one transaction) or approves and
 * deposits (two, the approval skipped if the allowance suffices).
 */
export async function deposit(
  ctx: SdkContext,
  amount: bigint,
  opts: DepositOptions = {},
): Promise<DepositResult> {
  checkAmount(amount);
  const account = requireAccount(ctx);
  await checkPaused(ctx);
  const bal = await getBalances(ctx, account.address);
  if (bal.wallet < amount) {
    throw new PreflightError(
      "INSUFFICIENT_WALLET_BALANCE",
      `the wallet holds ${formatQuote(bal.wallet)} of the quote token; ${formatQuote(amount)} is needed`,
      { wallet: bal.wallet, required: amount },
    );
  }
  const method = opts.method ?? "auto";
  if (method !== "approve") {
    const deadline = BigInt((await chainNow(ctx)) + (opts.permitTtlSeconds ?? 3600));
    let sig: { v: number; r: Hex; s: Hex } | undefined;
    try {
      sig = await signPermit(ctx, account.address, amount, deadline);
    } catch (err) {
      if (method === "permit") throw err;
    }
    if (sig) {
      const dep = await execute<void>(
        ctx,
        {
          address: ctx.addresses.market,
          abi: MARKET_ABI,
          functionName: "depositWithPermit",
          args: [amount, deadline, sig.v, sig.r, sig.s],
        },
        opts,
      );
      return { method: "permit", deposit: dep };
    }
    if (method === "permit") {
      throw new PreflightError(
        "PERMIT_UNSUPPORTED",
        "the quote token publishes no EIP-712 domain: use the approve method",
      );
    }
  }
  let approval: TxResult | undefined;
  if (bal.allowance < amount) {
    const a = await execute<boolean>(
      ctx,
      {
        address: ctx.addresses.quoteToken,
        abi: erc20Abi as unknown as Abi,
        functionName: "approve",
        args: [ctx.addresses.market, amount],
      },
      opts,
    );
    if (!a.simulated) approval = { ...a, hash: a.hash!, receipt: a.receipt! };
    if (opts.dryRun) return { method: "approve", deposit: dryRunResult(undefined) };
  }
  const dep = await execute<void>(
    ctx,
    { address: ctx.addresses.market, abi: MARKET_ABI, functionName: "deposit", args: [amount] },
    opts,
  );
  return { method: "approve", approval, deposit: dep };
}

/** Withdraws `amount` of the free balance to `to` (default: the account itself). */
export async function withdraw(
  ctx: SdkContext,
  amount: bigint,
  to?: Address,
  opts: WriteOptions = {},
): Promise<WriteResult<void>> {
  checkAmount(amount);
  const account = requireAccount(ctx);
  const bal = await getBalances(ctx, account.address);
  if (bal.free < amount) {
    throw new PreflightError(
      "INSUFFICIENT_BALANCE",
      `the free balance is ${formatQuote(bal.free)}; ${formatQuote(amount)} cannot be withdrawn (${formatQuote(bal.locked)} is locked)`,
      { free: bal.free, locked: bal.locked, required: amount },
    );
  }
  return execute<void>(
    ctx,
    {
      address: ctx.addresses.market,
      abi: MARKET_ABI,
      functionName: "withdraw",
      args: [amount, to ?? account.address],
    },
    opts,
  );
}
