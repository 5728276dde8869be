// Shared set-up for the delivery tests: a market with a community, four traders with meters, a
// settlement contract with three oracle signers, and helpers to trade, report and settle.
import { network } from "hardhat";
import type { Address, Hex } from "viem";
import { zeroAddress } from "viem";
import {
  REPORT_TYPES,
  SILENCE_TYPES,
  meterCertificateTypedData,
  reportDomain,
  type MeterCertificate,
  type MeterReport,
} from "../../typed-data.ts";

export const connection = await network.connect();
export const { viem, networkHelpers } = connection;

export const SLOT = 900;
export const GATE_LEAD = 300;
export const HORIZON = 86_400;
export const REPORT_WINDOW = 600;
export const TICK_SIZE = 10_000n; // 10 base units per Wh per tick
export const BOND_PER_KWH = 50_000n; // 50 base units per Wh
export const FEE_BPS = 100;
export const DEPOSIT = 1_000_000_000n;

export type Report = MeterReport;

export async function deployDelivery() {
  const [admin, alice, bob, carol, dave, o1, o2, o3, eve] = await viem.getWalletClients();
  const publicClient = await viem.getPublicClient();
  const usdc = await viem.deployContract("MockUSDC");
  const market = await viem.deployContract("EnergyMarket", [
    usdc.address,
    admin.account.address,
    admin.account.address,
  ]);
  const settlement = await viem.deployContract("DeliverySettlement", [
    market.address,
    admin.account.address,
    REPORT_WINDOW,
  ]);
  const keeper = await viem.deployContract("SettlementKeeper", [settlement.address]);
  await market.write.grantRole([await market.read.SETTLER_ROLE(), settlement.address]);

  await market.write.createCommunity(
    [
      "Sunny Street",
      {
        slotLength: SLOT,
        gateLead: GATE_LEAD,
        horizon: HORIZON,
        tickSize: TICK_SIZE,
        minOrderWh: 100n,
        bondPerKwh: BOND_PER_KWH,
        feeBps: FEE_BPS,
        priceFeed: zeroAddress,
        bandBps: 0,
        maxFeedAge: 0,
      },
    ],
    { account: alice.account },
  );
  const chainId = await publicClient.getChainId();
  // The community's meter registrar (an installer): alice, the admin, names one, since she sells too.
  const registrar = admin;
  await settlement.write.setMeterRegistrar([1, registrar.account.address], { account: alice.account });
  const certify = async (c: MeterCertificate, signer = registrar) => ({
    certificate: c,
    signature: await signer.signTypedData({
      account: signer.account,
      ...meterCertificateTypedData(chainId, settlement.address, c),
    }),
  });
  const certificate = (owner: Address, overrides: Partial<MeterCertificate> = {}): MeterCertificate => ({
    communityId: 1,
    owner,
    kind: 2,
    capacityW: 20_000,
    deviceKey: owner,
    deadline: 2 ** 40 - 1,
    ...overrides,
  });
  const traders = [alice, bob, carol, dave];
  for (const w of traders) {
    if (w !== alice) await market.write.join([1], { account: w.account });
    const signed = await certify(certificate(w.account.address));
    await settlement.write.registerMeter([signed.certificate, signed.signature], { account: w.account });
    await usdc.write.mint([w.account.address, DEPOSIT]);
    await usdc.write.approve([market.address, DEPOSIT], { account: w.account });
    await market.write.deposit([DEPOSIT], { account: w.account });
  }
  // Oracle signers sorted by address, so batches can pass them in ascending order.
  const oracles = [o1, o2, o3].sort((a, b) =>
    BigInt(a.account.address) < BigInt(b.account.address) ? -1 : 1,
  );
  for (const o of oracles) await settlement.write.setOracleSigner([o.account.address, true]);
  await settlement.write.setThreshold([2]);

  const now = await networkHelpers.time.latest();
  const slotStart = (Math.floor(now / SLOT) + 4) * SLOT;
  const marketId = (1n << 40n) | BigInt(slotStart);

  const signBatch = (
    signer: typeof admin,
    reports: Report[],
    overrides: { chainId?: number; verifyingContract?: Address } = {},
  ) =>
    signer.signTypedData({
      account: signer.account,
      domain: reportDomain(overrides.chainId ?? chainId, overrides.verifyingContract ?? settlement.address),
      types: REPORT_TYPES,
      primaryType: "ReportBatch",
      message: { reports },
    });

  const submit = async (reports: Report[], signers = oracles.slice(0, 2)) => {
    const signatures: Hex[] = [];
    for (const s of signers) signatures.push(await signBatch(s, reports));
    return settlement.write.submitReports([reports, signers.map((s) => s.account.address), signatures]);
  };

  const attestSilence = async (slot: number, meterIds: number[], signers = oracles.slice(0, 2)) => {
    const signatures: Hex[] = [];
    for (const s of signers) {
      signatures.push(
        await s.signTypedData({
          account: s.account,
          domain: reportDomain(chainId, settlement.address),
          types: SILENCE_TYPES,
          primaryType: "SilenceBatch",
          message: { slotStart: slot, meterIds },
        }),
      );
    }
    return settlement.write.attestSilence([
      slot,
      meterIds,
      signers.map((s) => s.account.address),
      signatures,
    ]);
  };

  const balance = async (w: typeof admin) => {
    const [free, locked] = await market.read.balanceOf([w.account.address]);
    return { free, locked };
  };

  return {
    admin,
    alice,
    bob,
    carol,
    dave,
    eve,
    oracles,
    usdc,
    market,
    settlement,
    keeper,
    publicClient,
    slotStart,
    marketId,
    chainId,
    signBatch,
    submit,
    attestSilence,
    registrar,
    certify,
    certificate,
    balance,
  };
}

export type Fx = Awaited<ReturnType<typeof deployDelivery>>;

/** Places an order and returns the id of its resting part (0n when nothing rests). */
export async function order(
  fx: Fx,
  w: Fx["alice"],
  meterId: number,
  isBid: boolean,
  tick: number,
  amountWh: bigint,
  orderType = 0,
): Promise<bigint> {
  const hash = await fx.market.write.placeOrder(
    [{ communityId: 1, slotStart: fx.slotStart, isBid, tick, amountWh, meterId, orderType }],
    { account: w.account },
  );
  const receipt = await fx.publicClient.waitForTransactionReceipt({ hash });
  const placed = await fx.market.getEvents.OrderPlaced({}, { blockHash: receipt.blockHash });
  return placed[0]?.args.orderId ?? 0n;
}
