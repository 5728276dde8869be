// Shared fixture for the treasury-governor tests (not a test file itself). Builds on the market
// fixture: community 1 (alice admin; bob, carol, dave members she admitted; eve outside) with a
// settled trade whose fee sits in community 1's treasury.
import { encodeFunctionData, parseEventLogs, type Address } from "viem";
import { connection, deployMarket, networkHelpers, orderParams, viem } from "../unit/fixture.ts";

export { connection, networkHelpers, viem };

export const VOTING_DELAY = 60n; // 1 minute
export const VOTING_PERIOD = 3n * 86_400n; // 3 days
export const QUORUM_BPS = 5_000n; // half the members
export const TIMELOCK_DELAY = 2n * 86_400n; // 2 days
export const GRACE_PERIOD = 7n * 86_400n; // 7 days

/** Proposal states, in IGovernor order. */
export const S = {
  Pending: 0,
  Active: 1,
  Canceled: 2,
  Defeated: 3,
  Succeeded: 4,
  Queued: 5,
  Expired: 6,
  Executed: 7,
} as const;
export const Vote = { Against: 0, For: 1, Abstain: 2 } as const;

// The trade that fills the treasury: 100 kWh at tick 50 (0.5 USDC/kWh) = 50 USDC, fee 1 %.
export const TRADE_WH = 100_000n;
export const TRADE_TICK = 50;
export const TRADE_VALUE = 50_000_000n;
export const FEE = 500_000n;

export async function deployGovernance() {
  const fx = await deployMarket();
  const wallets = await viem.getWalletClients();
  const settler = wallets[7]!;
  const governor = await viem.deployContract("TreasuryGovernor", [
    fx.market.address,
    VOTING_DELAY,
    VOTING_PERIOD,
    QUORUM_BPS,
    TIMELOCK_DELAY,
    GRACE_PERIOD,
  ]);
  const TREASURER_ROLE = await fx.market.read.TREASURER_ROLE();
  const SETTLER_ROLE = await fx.market.read.SETTLER_ROLE();
  await fx.market.write.setTreasuryGovernor([governor.address], { account: fx.admin.account });
  await fx.market.write.grantRole([SETTLER_ROLE, settler.account.address], { account: fx.admin.account });

  // alice rests an ask, bob's bid crosses it; after the gate alice's order is claimed and the
  // settler pays her, sending the community fee to the treasury.
  const askP = orderParams(fx, fx.alice, { isBid: false, tick: TRADE_TICK, amountWh: TRADE_WH });
  const { result: ask } = await fx.market.simulate.placeOrder([askP], { account: fx.alice.account });
  await fx.market.write.placeOrder([askP], { account: fx.alice.account });
  const bidP = orderParams(fx, fx.bob, { isBid: true, tick: TRADE_TICK, amountWh: TRADE_WH });
  await fx.market.write.placeOrder([bidP], { account: fx.bob.account });
  await networkHelpers.time.increaseTo(fx.gateAt);
  // The settler takes the sale (claiming alice's ask) and settles it in one transaction, as
  // DeliverySettlement does (decision 0028).
  await fx.market.write.multicall(
    [
      [
        encodeFunctionData({
          abi: fx.market.abi,
          functionName: "takeSale",
          args: [fx.marketId, fx.meters.alice!, [ask.orderId]],
        }),
        encodeFunctionData({
          abi: fx.market.abi,
          functionName: "settleSeller",
          args: [fx.marketId, fx.meters.alice!, TRADE_VALUE - FEE, FEE, 0n, 0],
        }),
      ],
    ],
    { account: settler.account },
  );
  // bob, carol and dave joined by themselves; the admin admits them, which gives them a vote.
  for (const w of [fx.bob, fx.carol, fx.dave]) {
    await fx.market.write.admit([fx.communityId, w.account.address], { account: fx.alice.account });
  }
  return { ...fx, settler, governor, TREASURER_ROLE, SETTLER_ROLE };
}

export type Gx = Awaited<ReturnType<typeof deployGovernance>>;
export type Wallet = Gx["bob"];

export const loadGov = () => networkHelpers.loadFixture(deployGovernance);

/** Proposes a payment from community 1 (or `communityId`) and returns the proposal id and receipt. */
export async function propose(
  gx: Gx,
  who: Wallet,
  amount: bigint = FEE,
  to: Address = gx.eve.account.address,
  communityId: number = gx.communityId,
) {
  const args = [communityId, to, amount, "pay the roof installer"] as const;
  const { result: id } = await gx.governor.simulate.propose(args, { account: who.account });
  const hash = await gx.governor.write.propose(args, { account: who.account });
  const receipt = await gx.publicClient.waitForTransactionReceipt({ hash });
  const logs = parseEventLogs({ abi: gx.governor.abi, logs: receipt.logs });
  return { id, receipt, logs };
}

export const vote = (gx: Gx, who: Wallet, id: bigint, support: number) =>
  gx.governor.write.castVote([id, support], { account: who.account });

export const increase = (seconds: bigint | number) => networkHelpers.time.increase(seconds);

/** Proposes (bob), opens the vote, and casts the given votes; returns the proposal id. */
export async function proposeAndVote(
  gx: Gx,
  votes: [Wallet, number][],
  amount: bigint = FEE,
  to?: Address,
): Promise<bigint> {
  const { id } = await propose(gx, gx.bob, amount, to);
  await increase(VOTING_DELAY);
  for (const [w, s] of votes) await vote(gx, w, id, s);
  return id;
}

/** A proposal that passed (alice, bob, carol For) and whose vote has closed. */
export async function passed(gx: Gx, amount: bigint = FEE, to?: Address): Promise<bigint> {
  const id = await proposeAndVote(
    gx,
    [
      [gx.alice, Vote.For],
      [gx.bob, Vote.For],
      [gx.carol, Vote.For],
    ],
    amount,
    to,
  );
  await increase(VOTING_PERIOD);
  return id;
}

/** A passed proposal, queued; returns its id and eta. */
export async function queued(gx: Gx, amount: bigint = FEE, to?: Address) {
  const id = await passed(gx, amount, to);
  await gx.governor.write.queue([id]);
  const { eta } = await gx.governor.read.proposal([id]);
  return { id, eta: BigInt(eta) };
}
