/** A local chain with the protocol, one community, a seller and a buyer, for the notifier's tests. */
import { createPowerShare, openSlots, type PowerShare } from "@powershare/contracts/sdk";
import { startTestStack, TEST_COMMUNITY, type TestStack } from "@powershare/contracts/sdk/testing";

export interface Market {
  stack: TestStack;
  communityId: number;
  meters: Record<number, number>;
  client(i: number): PowerShare;
  /** A slot open for trading now. */
  slot(): Promise<number>;
  mine(blocks: number): Promise<void>;
}

export async function startMarket(accounts: { seller: number[]; buyer: number[] }): Promise<Market> {
  const stack = await startTestStack();
  const communityId = await stack.createCommunity();
  const meters: Record<number, number> = {};
  for (const i of accounts.seller) meters[i] = await stack.onboard(i, communityId, 100_000_000n, 0);
  for (const i of accounts.buyer) meters[i] = await stack.onboard(i, communityId, 100_000_000n, 1);
  return {
    stack,
    communityId,
    meters,
    client: (i) =>
      createPowerShare({
        publicClient: stack.publicClient,
        walletClient: stack.wallet(i),
        addresses: stack.addresses,
      }),
    slot: async () => openSlots(TEST_COMMUNITY, await stack.now())[2]!,
    mine: async (n) => {
      for (let k = 0; k < n; k++)
        await stack.publicClient.request({ method: "evm_mine" as never, params: [] as never });
    },
  };
}

export async function until<T>(
  what: string,
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 30_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
