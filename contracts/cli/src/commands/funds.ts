/** deposit and withdraw. */
import { formatQuote, InvalidInputError, parseQuote, type DepositMethod } from "@powershare/contracts/sdk";
import type { Out } from "../output.ts";
import type { Session } from "../session.ts";
import { parseAddress } from "./read.ts";

function positive(text: string): bigint {
  const amount = parseQuote(text);
  if (amount === 0n) throw new InvalidInputError("the amount must be greater than zero");
  return amount;
}

export async function deposit(
  s: Session,
  out: Out,
  amountText: string,
  o: { method: string; dryRun?: boolean },
): Promise<void> {
  const amount = positive(amountText);
  if (!["auto", "permit", "approve"].includes(o.method))
    throw new InvalidInputError(`--method must be auto, permit or approve, got "${o.method}"`);
  const r = await s.ps.deposit(amount, { method: o.method as DepositMethod, dryRun: o.dryRun ?? false });
  const bal = await s.ps.balances(s.ps.account!);
  out.print(
    {
      amount,
      method: r.method,
      dryRun: r.deposit.simulated,
      tx: r.deposit.hash,
      approvalTx: r.approval?.hash,
      balance: bal,
    },
    () =>
      `${r.deposit.simulated ? "[dry run] would deposit" : "deposited"} ${formatQuote(amount)} USDC (${r.method})` +
      `${r.deposit.hash ? `\n  tx ${r.deposit.hash}` : ""}\n  balance: ${formatQuote(bal.free)} free, ${formatQuote(bal.locked)} locked, ${formatQuote(bal.wallet)} in the wallet`,
  );
}

export async function withdraw(
  s: Session,
  out: Out,
  amountText: string,
  o: { to?: string; dryRun?: boolean },
): Promise<void> {
  const amount = positive(amountText);
  const to = o.to ? parseAddress(o.to, "--to") : undefined;
  const r = await s.ps.withdraw(amount, to, { dryRun: o.dryRun ?? false });
  const bal = await s.ps.balances(s.ps.account!);
  out.print(
    { amount, to: to ?? s.ps.account, dryRun: r.simulated, tx: r.hash, balance: bal },
    () =>
      `${r.simulated ? "[dry run] would withdraw" : "withdrew"} ${formatQuote(amount)} USDC to ${to ?? s.ps.account}` +
      `${r.hash ? `\n  tx ${r.hash}` : ""}\n  balance: ${formatQuote(bal.free)} free, ${formatQuote(bal.locked)} locked`,
  );
}
