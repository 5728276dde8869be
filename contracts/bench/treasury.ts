/**
 * Gas benchmark of the treasury governor: receipt gasUsed (21,000 base included) of each step of a
 * spending proposal in a 10-member community. Run from contracts/: `npx hardhat run bench/treasury.ts`
 * (also part of `npm run bench:gas`). Merges its keys into docs/benchmarks/gas.json.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { network } from "hardhat";
import { encodeFunctionData, maxUint256, zeroAddress, type Hash } from "viem";

const here = dirname(fileURLToPath(import.meta.url));
const outFile = resolve(here, "../../docs/benchmarks/gas.json");

const { viem, networkHelpers } = await network.connect();
const publicClient = await viem.getPublicClient();
const wallets = await viem.getWalletClients();
const [deployer, ...others] = wallets;
if (!deployer || others.length < 12) throw new Error("not enough accounts");
const members = [deployer, ...others.slice(0, 9)]; // 10 members; deployer creates the community
const [recipient, freshRecipient] = others.slice(10, 12) as [typeof deployer, typeof deployer];

const VOTING_DELAY = 60n;
const VOTING_PERIOD = 3n * 86_400n;
const QUORUM_BPS = 2_000n;
const TIMELOCK_DELAY = 2n * 86_400n;
const GRACE_PERIOD = 14n * 86_400n;

const gasOf = async (hash: Promise<Hash>): Promise<bigint> => {
  const receipt = await publicClient.waitForTransactionReceipt({ hash: await hash });
  if (receipt.status !== "success") throw new Error("transaction reverted");
  return receipt.gasUsed;
};
const results: Record<string, number> = {};
const record = (key: string, gas: bigint) => {
  results[key] = Number(gas);
};

const usdc = await viem.deployContract("MockUSDC");
const market = await viem.deployContract("EnergyMarket", [
  usdc.address,
  deployer.account.address,
  deployer.account.address,
]);
const governorArgs = [
  market.address,
  VOTING_DELAY,
  VOTING_PERIOD,
  QUORUM_BPS,
  TIMELOCK_DELAY,
  GRACE_PERIOD,
] as const;
const { contract: governor, deploymentTransaction } = await viem.sendDeploymentTransaction(
  "TreasuryGovernor",
  [...governorArgs],
);
record("treasury_governor_deploy", await gasOf(Promise.resolve(deploymentTransaction.hash)));
const runtimeSize = ((await publicClient.getCode({ address: governor.address })) ?? "0x").length / 2 - 1;

await market.write.setTreasuryGovernor([governor.address]);
await market.write.grantRole([await market.read.SETTLER_ROLE(), deployer.account.address]);

// A community of ten; one 1,000 kWh trade whose 1 % fee (5 USDC) fills the treasury.
const slotLength = 900;
await market.write.createCommunity([
  "bench",
  {
    slotLength,
    gateLead: 300,
    horizon: 86_400,
    tickSize: 10_000n,
    minOrderWh: 1n,
    bondPerKwh: 0n,
    feeBps: 100,
    priceFeed: zeroAddress,
    bandBps: 0,
    maxFeedAge: 0,
  },
]);
const communityId = 1;
// Members vote once the community admin (members[0], its creator) has admitted them.
for (const w of members.slice(1))
  await market.write.admit([communityId, w.account.address], { account: members[0]!.account });
const [seller, buyer] = [members[0]!, members[1]!];
for (const w of [seller, buyer]) {
  // The deployer holds the settlement role here and registers the meters directly.
  await market.write.registerMeter([w.account.address, communityId, 2, 10_000, w.account.address]);
  await usdc.write.mint([w.account.address, 10n ** 12n]);
  await usdc.write.approve([market.address, maxUint256], { account: w.account });
  await market.write.deposit([10n ** 10n], { account: w.account });
}
await usdc.write.mint([recipient.account.address, 1n]); // an ordinary payee already holds tokens
const slotStart = (Math.floor((await networkHelpers.time.latest()) / slotLength) + 8) * slotLength;
const order = (w: typeof seller, meterId: number, isBid: boolean) =>
  ({ communityId, slotStart, isBid, tick: 50, amountWh: 1_000_000n, meterId, orderType: 0 }) as const;
const { result: ask } = await market.simulate.placeOrder([order(seller, 1, false)], {
  account: seller.account,
});
await market.write.placeOrder([order(seller, 1, false)], { account: seller.account });
await market.write.placeOrder([order(buyer, 2, true)], { account: buyer.account });
await networkHelpers.time.increaseTo(slotStart - 300);
const marketId = await market.read.marketIdOf([communityId, slotStart]);
const value = 1_000_000n * 50n * 10n;
const fee = value / 100n;
// The settler takes the sale (claiming the ask) and settles it in one transaction (decision 0028).
await market.write.multicall([
  [
    encodeFunctionData({ abi: market.abi, functionName: "takeSale", args: [marketId, 1, [ask.orderId]] }),
    encodeFunctionData({
      abi: market.abi,
      functionName: "settleSeller",
      args: [marketId, 1, value - fee, fee, 0n, 0],
    }),
  ],
]);
await networkHelpers.mine();

const domain = {
  name: "PowerShare Treasury Governor",
  version: "1",
  chainId: await publicClient.getChainId(),
  verifyingContract: governor.address,
} as const;
const ballotTypes = {
  Ballot: [
    { name: "proposalId", type: "uint256" },
    { name: "support", type: "uint8" },
    { name: "voter", type: "address" },
  ],
} as const;

/** Runs one proposal to execution; records its steps' gas under `prefix` when given. */
async function lifecycle(to: typeof recipient, amount: bigint, prefix?: string) {
  const args = [communityId, to.account.address, amount, "bench: pay the installer"] as const;
  const { result: id } = await governor.simulate.propose(args, { account: members[2]!.account });
  const proposeGas = await gasOf(governor.write.propose(args, { account: members[2]!.account }));
  await networkHelpers.time.increase(VOTING_DELAY);
  const voteGas = await gasOf(governor.write.castVote([id, 1], { account: members[3]!.account }));
  await gasOf(governor.write.castVote([id, 0], { account: members[4]!.account }));
  const voter = members[5]!;
  const signature = await voter.signTypedData({
    domain,
    types: ballotTypes,
    primaryType: "Ballot",
    message: { proposalId: id, support: 1, voter: voter.account.address },
  });
  const bySigGas = await gasOf(
    governor.write.castVoteBySig([id, 1, voter.account.address, signature], { account: deployer.account }),
  );
  await networkHelpers.time.increase(VOTING_PERIOD);
  const queueGas = await gasOf(governor.write.queue([id]));
  await networkHelpers.time.increase(TIMELOCK_DELAY);
  const executeGas = await gasOf(governor.write.execute([id]));
  if (prefix !== undefined) {
    record(`${prefix}propose`, proposeGas);
    record(`${prefix}vote`, voteGas);
    record(`${prefix}vote_by_sig`, bySigGas);
    record(`${prefix}queue`, queueGas);
  }
  return executeGas;
}

// The first proposal ever pays for the zero-to-one proposal counter; measure the second one.
await lifecycle(recipient, 1n);
record("treasury_proposal_execute", await lifecycle(recipient, fee / 10n, "treasury_"));
record("treasury_proposal_execute_fresh_recipient", await lifecycle(freshRecipient, fee / 10n));

const previous = existsSync(outFile)
  ? (JSON.parse(readFileSync(outFile, "utf8")) as Record<string, number>)
  : {};
mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(outFile, JSON.stringify({ ...previous, ...results }, null, 2) + "\n");
console.table(Object.entries(results).map(([operation, gasUsed]) => ({ operation, gasUsed })));
console.log(`TreasuryGovernor runtime size: ${runtimeSize} bytes (limit 24,576)`);
console.log(`wrote ${outFile}`);
