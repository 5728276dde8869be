/** EnergyMarket internal balances: free and locked, with deposit/withdraw flows. */
import { BigInt, Bytes } from "@graphprotocol/graph-ts";
import { Balance } from "../../generated/schema";

const ZERO = BigInt.zero();

export function moveBalance(
  account: Bytes,
  dFree: BigInt,
  dLocked: BigInt,
  block: BigInt,
  deposited: BigInt = ZERO,
  withdrawn: BigInt = ZERO,
): void {
  const id = account.toHexString();
  let b = Balance.load(id);
  if (b == null) {
    b = new Balance(id);
    b.account = account;
    b.free = ZERO;
    b.locked = ZERO;
    b.deposited = ZERO;
    b.withdrawn = ZERO;
  }
  b.free = b.free.plus(dFree);
  b.locked = b.locked.plus(dLocked);
  b.deposited = b.deposited.plus(deposited);
  b.withdrawn = b.withdrawn.plus(withdrawn);
  b.updatedBlock = block;
  b.save();
}
