/** Chain-time helpers shared by the REST and analytics routes. */
import { db } from "ponder:api";
import schema from "ponder:schema";
import { sql } from "ponder";

/**
 * The time of the latest indexed block (chain time, which on a dev chain may run ahead of the
 * wall clock): gates and votes are judged against it.
 */
export async function indexedNow(): Promise<bigint> {
  try {
    const r = (await db.execute(sql`SELECT latest_checkpoint FROM _ponder_checkpoint`)) as unknown as
      { rows: { latest_checkpoint: string }[] } | { latest_checkpoint: string }[];
    const rows = Array.isArray(r) ? r : r.rows;
    let best = 0n;
    for (const row of rows) {
      const ts = BigInt(row.latest_checkpoint.slice(0, 10));
      if (ts > best) best = ts;
    }
    if (best > 0n) return best;
  } catch {
    // fall through
  }
  return BigInt(Math.floor(Date.now() / 1000));
}

/** GOVERNOR_GRACE_PERIOD (seconds), which lets a queued proposal be reported `Expired`. */
export const governorGracePeriod = (): bigint | undefined =>
  process.env.GOVERNOR_GRACE_PERIOD ? BigInt(process.env.GOVERNOR_GRACE_PERIOD) : undefined;

export type ProposalState =
  "Pending" | "Active" | "Canceled" | "Defeated" | "Succeeded" | "Queued" | "Expired" | "Executed";

/** A proposal's state at `now` (TreasuryGovernor.state, from the indexed row). */
export const proposalState = (
  p: Pick<
    typeof schema.proposals.$inferSelect,
    | "executed"
    | "canceled"
    | "voteStart"
    | "voteEnd"
    | "forVotes"
    | "againstVotes"
    | "abstainVotes"
    | "quorum"
    | "eta"
  >,
  now: bigint,
  gracePeriod: bigint | undefined,
): ProposalState => {
  if (p.executed) return "Executed";
  if (p.canceled) return "Canceled";
  if (now < p.voteStart) return "Pending";
  if (now <= p.voteEnd) return "Active";
  if (p.forVotes <= p.againstVotes || p.forVotes + p.abstainVotes < p.quorum) return "Defeated";
  if (p.eta === null) return "Succeeded";
  if (gracePeriod !== undefined && now >= p.eta + gracePeriod) return "Expired";
  return "Queued";
};
