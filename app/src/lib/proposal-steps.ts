/**
 * The times and transactions of a proposal's queue and execute steps, read from the governor's
 * logs (the indexer keeps the proposal's state, not these transactions).
 */
import { treasuryGovernorAbi } from "@powershare/contracts";
import type { Address, Client } from "viem";
import { getBlock, getBlockNumber, getLogs } from "viem/actions";

/** How far back the timeline looks for a proposal's queue and execute transactions on chain. */
export const TIMELINE_BLOCKS = 10_000n;

export type ProposalStep = "ProposalQueued" | "ProposalExecuted";
export type ProposalSteps = Partial<Record<ProposalStep, { at: bigint; hash: string }>>;

/** Thrown while the RPC does not yet show a step the indexer has reported. */
export class StepNotOnRpcYet extends Error {
  constructor(step: ProposalStep) {
    super(`${step} is indexed but not yet on this RPC`);
    this.name = "StepNotOnRpcYet";
  }
}

/**
 * Reads the `expected` steps of proposal `proposalId`. Logs are read up to the node's own latest
 * block (not a block number the client may have cached), and a step the indexer reported but the
 * RPC does not show yet rejects with {@link StepNotOnRpcYet}, so the caller retries instead of
 * keeping a timeline without it.
 */
export async function readProposalSteps(
  client: Client,
  governor: Address,
  proposalId: bigint,
  expected: readonly ProposalStep[],
): Promise<ProposalSteps> {
  const latest = await getBlockNumber(client, { cacheTime: 0 });
  const logs = await getLogs(client, {
    address: governor,
    events: treasuryGovernorAbi.filter(
      (x) => x.type === "event" && (x.name === "ProposalQueued" || x.name === "ProposalExecuted"),
    ) as never,
    args: { proposalId } as never,
    fromBlock: latest > TIMELINE_BLOCKS ? latest - TIMELINE_BLOCKS : 0n,
  });
  const out: ProposalSteps = {};
  for (const l of logs as unknown as {
    eventName: ProposalStep;
    blockNumber: bigint;
    transactionHash: string;
  }[]) {
    const b = await getBlock(client, { blockNumber: l.blockNumber });
    out[l.eventName] = { at: b.timestamp, hash: l.transactionHash };
  }
  for (const step of expected) if (!out[step]) throw new StepNotOnRpcYet(step);
  return out;
}
