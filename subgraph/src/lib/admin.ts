/** Administrative events, recorded as they come. */
import { BigInt, Bytes, ethereum } from "@graphprotocol/graph-ts";
import { AdminEvent } from "../../generated/schema";
import { eventId } from "./ids";

export function adminEvent(event: ethereum.Event, name: string): AdminEvent {
  const a = new AdminEvent(eventId(event));
  a.contract = event.address;
  a.event = name;
  a.blockNumber = event.block.number;
  a.timestamp = event.block.timestamp;
  a.txHash = event.transaction.hash;
  return a;
}

export function roleEvent(event: ethereum.Event, name: string, role: Bytes, account: Bytes): void {
  const a = adminEvent(event, name);
  a.role = role;
  a.account = account;
  a.save();
}

export function flagEvent(event: ethereum.Event, name: string, account: Bytes | null, flag: boolean): void {
  const a = adminEvent(event, name);
  a.account = account;
  a.flag = flag;
  a.save();
}

export function valueEvent(event: ethereum.Event, name: string, value: BigInt): void {
  const a = adminEvent(event, name);
  a.value = value;
  a.save();
}
