/** Exit codes of `powershare`: scripts can tell a refusal from an outage. */
export const EXIT = {
  ok: 0,
  /** An unexpected failure (a bug): the message and, with --verbose, the stack. */
  internal: 1,
  /** Bad arguments or input (zero amount, price off the grid, unknown option). Nothing was sent. */
  usage: 2,
  /** The chain's state refuses the action (market closed, balance short, unknown market…). Nothing was sent. */
  refused: 3,
  /** A contract reverted (in simulation or on chain). */
  reverted: 4,
  /** The RPC or the transaction failed (unreachable node, fee cap, receipt timeout). */
  network: 5,
  /** Configuration: no key, wrong chain, no address book. Nothing was sent. */
  config: 6,
} as const;
