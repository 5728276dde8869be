/**
 * Simulate, then send through the signer's queue: every write of the SDK goes through `execute`,
 * so a call that would revert is refused with the decoded contract error before it is signed.
 */
import { encodeFunctionData, type Abi, type Address } from "viem";
import { requireAccount, type SdkContext } from "../context.ts";
import { toPowerShareError } from "../errors/decoder.ts";
import { queueFor, type TxQueue } from "../tx/queue.ts";
import type { TxResult } from "../tx/receipts.ts";

export interface WriteOptions {
  /** Check and simulate only; send nothing. The result has `simulated: true` and no tx. */
  dryRun?: boolean;
  /** Gas limit; estimated when absent. */
  gas?: bigint;
}

/**
 * What a write did: the simulated return value and, unless it was a dry run, the mined
 * transaction with its decoded events (a dry run has no hash or receipt and no events).
 */
export interface WriteResult<T> {
  simulated: boolean;
  result: T;
  hash: TxResult["hash"] | undefined;
  receipt: TxResult["receipt"] | undefined;
  events: TxResult["events"];
  gasUsed: bigint;
  effectiveGasPrice: bigint;
  attempts: TxResult["attempts"];
}

function dryRunResult<T>(result: T): WriteResult<T> {
  return {
    simulated: true,
    result,
    hash: undefined,
    receipt: undefined,
    events: [],
    gasUsed: 0n,
    effectiveGasPrice: 0n,
    attempts: [],
  };
}

export interface ContractCall {
  address: Address;
  abi: Abi;
  functionName: string;
  args: readonly unknown[];
}

export function queueOf(ctx: SdkContext): TxQueue {
  if (ctx.queue) return ctx.queue;
  if (!ctx.walletClient) throw toPowerShareError(new Error("no wallet client to send with"));
  ctx.queue = queueFor(ctx.publicClient, ctx.walletClient);
  return ctx.queue;
}

/** Simulates `call` from the wallet's account (throws the decoded ContractError on a revert). */
export async function simulate<T>(ctx: SdkContext, call: ContractCall): Promise<T> {
  const account = requireAccount(ctx);
  try {
    const { result } = await ctx.publicClient.simulateContract({
      account,
      address: call.address,
      abi: call.abi,
      functionName: call.functionName,
      args: call.args,
    } as never);
    return result as T;
  } catch (err) {
    throw toPowerShareError(err);
  }
}

export { dryRunResult };

export async function execute<T>(
  ctx: SdkContext,
  call: ContractCall,
  opts: WriteOptions = {},
): Promise<WriteResult<T>> {
  const result = await simulate<T>(ctx, call);
  if (opts.dryRun) return dryRunResult(result);
  const data = encodeFunctionData({
    abi: call.abi,
    functionName: call.functionName,
    args: call.args,
  } as never);
  const tx = await queueOf(ctx).send({
    to: call.address,
    data,
    ...(opts.gas === undefined ? {} : { gas: opts.gas }),
  });
  return { simulated: false, result, ...tx };
}
