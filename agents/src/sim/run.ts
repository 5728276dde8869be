/**
 * Runs a simulated community on the real stack: a local Hardhat chain with the protocol deployed
 * and time under control, one community per strategy (same households, same weather, same meter
 * noise), one LangGraph agent per household trading from its own wallet through the SDK, signed
 * per-slot meter reports (the oracle's EIP-712 ReportBatch, signed with the oracle's key) built from
 * the simulated meters, and the settlement keeper (@powershare/cli's Keeper) claiming, settling and
 * refunding. Every slot: move the chain to the slot boundary, measure and report the slot that ended,
 * let the keeper work (every 4 slots), then run every agent's cycle. With `indexer`, the real indexer
 * runs on the chain and the agents observe through it, each tick once it has caught up (decision 0039).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pino, { type Logger } from "pino";
import {
  createPublicClient,
  createWalletClient,
  http,
  type Address,
  type PublicClient,
  type Transport,
} from "viem";
import { MULTICALL3, MULTICALL3_RUNTIME } from "./multicall3.ts";
import { countingFetch, nodeFetch } from "./node-fetch.ts";
import { DevAccounts, onboardAll } from "./onboard.ts";
import { ActSequencer } from "./sequencer.ts";
import { OraclePath } from "./oracle-path.ts";
import { Keeper } from "@powershare/cli";
import {
  createPowerShare,
  marketIdOf,
  TxQueue,
  type AnyPublicClient,
  type AnyWalletClient,
  type PowerShare,
} from "@powershare/contracts/sdk";
import { ORACLE_INDEX, startTestStack, type TestStack } from "@powershare/contracts/sdk/testing";
import { deliverySettlementAbi, REPORT_TYPES, reportDomain } from "@powershare/contracts";
import { startPonder, type PonderProcess } from "../../../indexer/test/support/ponder.ts";
import { TradingAgent } from "../agent.ts";
import { AgentIO, SharedReads } from "../chain/agent-io.ts";
import { IndexerSource } from "../chain/observe-source.ts";
import type { AgentSettings, HouseholdDevice } from "../graph/agent-graph.ts";
import { NodeSqliteSaver } from "../graph/sqlite-checkpointer.ts";
import { Weather } from "../model/weather.ts";
import { NaiveStrategy } from "../strategy/naive.ts";
import { RampStrategy } from "../strategy/ramp.ts";
import type { Strategy } from "../strategy/types.ts";
import { accountCommunity, type CommunityOutcome, type HomeLedger } from "./accounting.ts";
import { HomeCopy, HomeDraws, type MeterFlows } from "./physics.ts";
import { householdsOf, type HouseholdPlan, type SimParams, type StrategyName } from "./scenario.ts";

export const DEPOSIT = 50_000_000n; // 50 USDC per household
/** How far back (in slots) the keeper looks for work during the run; the final pass looks at everything. */
const KEEPER_LOOKBACK_SLOTS = 16;
const KEEPER_INDEX = 8;
/** The keeper runs every this many slots. */
const KEEPER_EVERY_SLOTS = 4;
/**
 * An agent's transaction gas limit: 2M + 1.5M per call (cancel or order; an order that takes
 * crosses several resting orders), at most 16M — the node refuses a transaction above 2^24 gas
 * (EIP-7825) — above any batch the risk limits let through (8 orders and their cancels use ~5M).
 * Act errors would show a limit too low; none occur.
 */
const GAS_LIMIT = (calls: number) => BigInt(Math.min(16_000_000, 2_000_000 + 1_500_000 * calls));
const STRATEGY_ORDER: StrategyName[] = ["ramp", "naive"];
/** A slot's report batch (40 meters at most here, ~60k gas each). */
const REPORT_GAS = 8_000_000n;
type MeterReport = { meterId: number; slotStart: number; importedWh: bigint; exportedWh: bigint };
/** Room for every agent's transaction of a tick at its gas limit (40 × 16M) and the keeper's. */
const BLOCK_GAS_LIMIT = 1_000_000_000n;
/**
 * How long a tick waits for the indexer to reach the tick's block before its agents observe (they
 * fall back to the chain for that tick if it has not: IndexerSource's lag check).
 */
const INDEXER_WAIT_MS = 10_000;

export interface SimHome {
  plan: HouseholdPlan;
  account: Address;
  accountIndex: number;
  meterId: number;
  copy: HomeCopy;
  flows: Map<number, MeterFlows>;
  agent: TradingAgent;
}

export interface SimCommunity {
  strategy: StrategyName;
  communityId: number;
  homes: SimHome[];
}

export interface SimResult {
  params: SimParams;
  wallSeconds: number;
  communities: CommunityOutcome[];
  /** Grid-only baseline per home (same draws, battery for self-consumption only). */
  gridOnly: { importWh: number[]; exportWh: number[]; pvWh: number[]; loadWh: number[] };
  /** Wall time per phase, ms; CPU time of this process and of the chain's node (simCpuMs, chainCpuMs). */
  phases: Record<string, number>;
  /** JSON-RPC calls by method (eth_call by selector), when POWERSHARE_SIM_RPC_STATS is set. */
  rpcCounts?: Record<string, number> | undefined;
}

function strategyOf(name: StrategyName, windowSlots: number): Strategy {
  return name === "ramp" ? new RampStrategy({ windowSlots }) : new NaiveStrategy({ windowSlots });
}

export async function runSimulation(
  params: SimParams,
  opts: { log?: Logger; onProgress?: (slot: number, of: number) => void; stack?: TestStack } = {},
): Promise<SimResult> {
  const t0 = Date.now();
  const log = opts.log ?? pino({ level: "warn" });
  const L = params.slotLength;
  if (params.startSec % L !== 0)
    throw new Error(`start ${params.startSec} is not a multiple of the slot length ${L}`);
  const plans = householdsOf(params);
  const weather = new Weather(params.seed, params.startSec, Math.ceil(params.days));
  const draws = plans.map((p) => new HomeDraws(p, params.site, weather, params.seed));
  const baseline = plans.map((p) => new HomeCopy(p.battery));
  const gridOnly = {
    importWh: plans.map(() => 0),
    exportWh: plans.map(() => 0),
    pvWh: plans.map(() => 0),
    loadWh: plans.map(() => 0),
  };
  const stack = opts.stack ?? (await startTestStack());
  const rpcCounts: Record<string, number> | undefined = process.env.POWERSHARE_SIM_RPC_STATS ? {} : undefined;
  const cpu0 = process.cpuUsage();
  const chain0 = chainCpuMs(stack);
  const dir = mkdtempSync(path.join(tmpdir(), "powershare-sim-"));
  const savers: NodeSqliteSaver[] = [];
  const closers: (() => void)[] = [];
  let ponder: PonderProcess | undefined;
  try {
    if (params.indexer) {
      // the indexer starts with the stack (it indexes the onboarding while the agents are set up);
      // PGlite in a fresh directory per world: two worlds are two chains with the same chain id
      // (31337), which one PostgreSQL database's sync tables would mix up
      const book = path.join(dir, "address-book.json");
      writeFileSync(book, JSON.stringify(stack.addressBook));
      ponder = await startPonder({ rpcUrl: stack.url, addressBook: book, schema: `sim_${process.pid}` });
    }
    const rpc = (method: string, p: unknown[]) =>
      stack.publicClient.request({ method: method as never, params: p as never });
    // Multicall3 at its canonical address (the runtime code from viem's creation code): the reads
    // dozens of agents make in the same tick go to the node as one eth_call, and the HTTP batch
    // carries what remains (transactions, logs) in one request per tick.
    await rpc("hardhat_setCode", [MULTICALL3, MULTICALL3_RUNTIME]);
    // `hardhat node` logs every call and transaction (decoding them against the build info) to a
    // stdout nobody reads here: without it the node spends about a quarter less CPU
    await rpc("hardhat_setLoggingEnabled", [false]);
    const chain = { ...stack.chain, contracts: { multicall3: { address: MULTICALL3 } } };
    const transport = http(stack.url, {
      batch: true,
      timeout: 60_000,
      fetchFn: (rpcCounts ? countingFetch(rpcCounts) : nodeFetch) as unknown as typeof fetch,
      maxResponseBodySize: false,
    });
    // a tick's transactions are mined together, in an order fixed by the seed (sequencer.ts); the
    // block must hold all of them at their gas limits (an unused limit costs nothing)
    await rpc("evm_setBlockGasLimit", ["0x" + BLOCK_GAS_LIMIT.toString(16)]);
    const sequencer = new ActSequencer(rpc, params.orderSeed ?? params.seed);
    const publicClient = createPublicClient({
      chain,
      transport,
      batch: { multicall: { batchSize: 8_192 } },
      pollingInterval: 20,
    }) as AnyPublicClient;
    const accounts = new DevAccounts();
    const wallet = (i: number, through: Transport = transport) =>
      createWalletClient({
        chain,
        transport: through,
        account: accounts.get(i),
        pollingInterval: 20,
      }) as AnyWalletClient;
    const startBlock = await stack.publicClient.getBlockNumber();
    const slots = Math.round((params.days * 86400) / L);
    const tradeUntil = params.startSec + slots * L;
    const communities: SimCommunity[] = [];
    for (const strategy of params.strategies) {
      const communityId = await stack.createCommunity({
        slotLength: L,
        gateLead: 300,
        horizon: 48 * 3600,
        tickSize: 1_000n,
        minOrderWh: 10n,
        bondPerKwh: BigInt(params.bondPerKwh),
        feeBps: params.feeBps,
      });
      const saver = new NodeSqliteSaver(path.join(dir, `${strategy}.sqlite`));
      savers.push(saver);
      const shared = new SharedReads(createPowerShare({ publicClient, addresses: stack.addresses }));
      const homes: SimHome[] = [];
      // the account of a household is the same whichever strategies run (and in whichever process)
      const base = 100 + 100 * STRATEGY_ORDER.indexOf(strategy);
      const indexes = plans.map((plan) => base + plan.index);
      await Promise.all(
        indexes.map((i) => rpc("hardhat_setBalance", [accounts.get(i).address, "0x3635C9ADC5DEA00000"])), // 1,000 ETH for gas
      );
      const meterIds = await onboardAll(
        chain,
        transport,
        publicClient,
        accounts,
        stack.addresses,
        plans.map((plan, n) => ({
          accountIndex: indexes[n]!,
          communityId,
          deposit: DEPOSIT,
          kind: plan.pv ? 2 : 1,
          capacityW: 10_000,
        })),
      );
      for (const [n, plan] of plans.entries()) {
        const accountIndex = indexes[n]!;
        const account = accounts.get(accountIndex).address;
        const meterId = meterIds[n]!;
        const copy = new HomeCopy(plan.battery);
        const flows = new Map<number, MeterFlows>();
        const device: HouseholdDevice = {
          battery: () =>
            copy.battery && {
              socWh: copy.battery.socWh,
              capacityWh: copy.battery.spec.capacityWh,
              reserveWh: copy.battery.spec.reserveWh,
              maxPowerW: copy.battery.spec.maxPowerW,
            },
          batteryFlowWh: (slot) => flows.get(slot)?.batteryWh ?? 0,
        };
        // generous gas headroom: another agent's order may land first and turn a resting order into a trade
        const agentWallet = wallet(accountIndex, sequencer.transport(accountIndex, transport));
        const tx = { gasHeadroomBps: 20_000, maxPriorityFeePerGas: 1_000_000_000n };
        const ps = createPowerShare({
          publicClient,
          walletClient: agentWallet,
          addresses: stack.addresses,
          tx,
        });
        // this run's own queue: the SDK's per-address queues outlive a run (and its node) in the process
        ps.ctx.queue = new TxQueue(publicClient, agentWallet, tx);
        const settings: AgentSettings = {
          agentId: `${strategy}-${plan.index}`,
          communityId,
          meterId,
          household: { site: params.site, annualKwh: plan.annualKwh, pv: plan.pv, battery: plan.battery },
          clouds: weather.forecast,
          tariffs: params.tariffs,
          windowSlots: params.windowSlots,
          lookaheadSlots: 48,
          tradeUntil,
          limits: {
            minPricePerKwh: params.tariffs.feedInPerKwh,
            maxPricePerKwh: params.tariffs.retailPerKwh,
            maxExposurePerSlot: 2_000_000,
            minFreeBalance: 1_000_000,
            maxOrdersPerCycle: 8,
            maxWhPerSlot: (10_000 * L) / 3600,
          },
        };
        const io = new AgentIO(ps, account, shared, { gasLimit: GAS_LIMIT });
        const agent = new TradingAgent(
          {
            io,
            source: ponder ? new IndexerSource(io, { url: ponder.url }) : undefined,
            strategy: strategyOf(strategy, params.windowSlots),
            settings,
            device,
            log,
          },
          saver,
          { durability: "exit" },
        );
        homes.push({ plan, account, accountIndex, meterId, copy, flows, agent });
      }
      communities.push({ strategy, communityId, homes });
    }

    const phases = {
      setupMs: Date.now() - t0,
      warpMs: 0,
      reportMs: 0,
      keeperMs: 0,
      agentsMs: 0,
      settleMs: 0,
      indexerWaitMs: 0,
    };
    const indexerWork = { indexerWaitTimeouts: 0 };
    if (ponder) await ponder.ready(300_000);
    // The keeper discovers its work from the chain's logs. During the run it looks back
    // KEEPER_LOOKBACK_SLOTS slots (every order of those markets was placed after that block; older
    // markets are settled by then); the final pass reads the whole run. Without the window each
    // cycle would re-read every market of the run, and the week would grow quadratically.
    const keeperWallet = wallet(KEEPER_INDEX);
    // the keeper's SDK estimates the gas of each transaction (the node runs it a dozen times):
    // a fixed limit instead, as for the agents — a third less node CPU in the keeper's phase
    const keeperPublic = createPublicClient({
      chain,
      transport: fixedGasTransport(transport, KEEPER_GAS),
      batch: { multicall: { batchSize: 8_192 } },
      pollingInterval: 20,
    }) as AnyPublicClient;
    const keeperTx = { maxPriorityFeePerGas: 1_000_000_000n };
    const keeperQueue = new TxQueue(keeperPublic, keeperWallet, keeperTx);
    const keeperOf = (startBlock: bigint) => {
      const ps = createPowerShare({
        publicClient: keeperPublic,
        walletClient: keeperWallet,
        addresses: { ...stack.addresses, startBlock },
        tx: keeperTx,
      });
      ps.ctx.queue = keeperQueue;
      return new Keeper(ps, log, { maxClaimsPerTx: 60, maxSellersPerUpkeep: 30, backoffMs: 50 });
    };
    const keeperWork = {
      keeperCycles: 0,
      keeperTxs: 0,
      keeperClaimed: 0,
      keeperSettled: 0,
      keeperRefunded: 0,
    };
    const keeperDid = (r: Awaited<ReturnType<Keeper["cycle"]>>) => {
      keeperWork.keeperCycles += 1;
      keeperWork.keeperTxs += r.transactions;
      keeperWork.keeperClaimed += r.claimed;
      keeperWork.keeperSettled += r.settled;
      keeperWork.keeperRefunded += r.refunded;
      return r;
    };
    // the slot's reports in one ReportBatch signed with the oracle signer's key (decision 0033)
    const oracle = accounts.get(ORACLE_INDEX);
    const reportWallet = wallet(ORACLE_INDEX);
    const postReports = async (reports: MeterReport[]) => {
      const sorted = [...reports].sort((x, y) => x.meterId - y.meterId);
      const signature = await oracle.signTypedData({
        domain: reportDomain(chain.id, stack.addresses.settlement),
        types: REPORT_TYPES,
        primaryType: "ReportBatch",
        message: { reports: sorted },
      });
      const hash = await reportWallet.writeContract({
        account: reportWallet.account!,
        chain,
        address: stack.addresses.settlement,
        abi: deliverySettlementAbi,
        functionName: "submitReports",
        args: [sorted, [oracle.address], [signature]],
        gas: REPORT_GAS,
      });
      const r = await publicClient.waitForTransactionReceipt({ hash, pollingInterval: 20 });
      if (r.status !== "success") throw new Error(`the reports of slot ${sorted[0]?.slotStart} reverted`);
    };
    const blockAt = new Map<number, bigint>();
    const readPs: PowerShare = createPowerShare({ publicClient, addresses: stack.addresses });

    // the meters' signed readings go through the oracle's own pipeline (unless --direct-reports)
    let oraclePath: OraclePath | undefined;
    let tickNow = 0;
    if (params.oraclePipeline) {
      oraclePath = new OraclePath({
        dir,
        publicClient: publicClient as unknown as PublicClient,
        chain,
        settlement: stack.addresses.settlement,
        oracle: accounts.get(ORACLE_INDEX),
        slotLength: L,
        reportWindowSec: Number(await readPs.reportWindow()),
        startMs: params.startSec * 1000,
      });
      closers.push(() => oraclePath?.close());
      for (const c of communities)
        for (const h of c.homes)
          oraclePath.addMeter(
            {
              meterId: h.meterId,
              communityId: c.communityId,
              owner: h.account,
              kind: h.plan.pv ? "prosumer" : "consumer",
              capacityW: 10_000,
              deviceKey: h.account,
              active: true,
            },
            accounts.get(h.accountIndex).getHdKey().privateKey!,
          );
      await oraclePath.start(params.startSec);
    }
    const post = oraclePath
      ? (reports: MeterReport[]) =>
          oraclePath.slotEnded(
            reports[0]!.slotStart,
            L,
            reports.map((r) => ({
              meterId: r.meterId,
              importedWh: Number(r.importedWh),
              exportedWh: Number(r.exportedWh),
            })),
            tickNow,
          )
      : postReports;
    const firstCycle = params.startSec - params.windowSlots * L + 1;
    const lastSlotStart = params.startSec + (slots - 1) * L;
    // wall time per phase, and the CPU time of this process and of the node during it
    const cpuPhases: Record<string, number> = {};
    let cpuMark = { sim: process.cpuUsage(), chain: chainCpuMs(stack) };
    const lap = (name: keyof typeof phases, since: number) => {
      phases[name] += Date.now() - since;
      const p = name.replace(/Ms$/, "");
      const sim = process.cpuUsage(cpuMark.sim);
      const chain = chainCpuMs(stack);
      cpuPhases[`${p}SimCpuMs`] =
        (cpuPhases[`${p}SimCpuMs`] ?? 0) + Math.round((sim.user + sim.system) / 1000);
      cpuPhases[`${p}ChainCpuMs`] = (cpuPhases[`${p}ChainCpuMs`] ?? 0) + chain - cpuMark.chain;
      cpuMark = { sim: process.cpuUsage(), chain };
      if (rpcCounts) {
        for (const [k, v] of Object.entries(rpcCounts)) {
          if (k.includes(" ") || k.startsWith("[")) continue;
          const pk = `[${p}] ${k}`;
          rpcCounts[pk] = (rpcCounts[pk] ?? 0) + v - (rpcMark[k] ?? 0);
        }
        rpcMark = Object.fromEntries(Object.entries(rpcCounts).filter(([k]) => !k.startsWith("[")));
      }
    };
    let rpcMark: Record<string, number> = { ...rpcCounts };
    for (let t = firstCycle; ; t += L) {
      cpuMark = { sim: process.cpuUsage(), chain: chainCpuMs(stack) };
      if (rpcCounts)
        rpcMark = Object.fromEntries(Object.entries(rpcCounts).filter(([k]) => !k.startsWith("[")));
      let since = Date.now();
      await stack.warpTo(t);
      blockAt.set(t, await stack.publicClient.getBlockNumber());
      lap("warpMs", since);
      const ended = t - 1 - L;
      if (ended >= params.startSec && ended <= lastSlotStart) {
        since = Date.now();
        tickNow = t;
        await measureAndReport(post, readPs, communities, draws, baseline, gridOnly, ended, L, plans);
        lap("reportMs", since);
        opts.onProgress?.((ended - params.startSec) / L + 1, slots);
      }
      since = Date.now();
      if (((t - firstCycle) / L) % KEEPER_EVERY_SLOTS === KEEPER_EVERY_SLOTS - 1)
        keeperDid(await keeperOf(blockAt.get(t - KEEPER_LOOKBACK_SLOTS * L) ?? startBlock).cycle());
      lap("keeperMs", since);
      if (t < tradeUntil) {
        if (ponder) {
          // the chain moved in a jump (warp, reports, keeper): the agents observe once the indexer has
          // caught up with it, or from the chain when it has not in INDEXER_WAIT_MS
          since = Date.now();
          const head = Number(await stack.publicClient.getBlockNumber());
          await ponder.waitForBlock(head, INDEXER_WAIT_MS, 10).catch((err: unknown) => {
            if (ponder?.proc.exitCode !== null) throw err;
            indexerWork.indexerWaitTimeouts += 1;
          });
          lap("indexerWaitMs", since);
        }
        since = Date.now();
        await sequencer.tick(
          (t - firstCycle) / L,
          new Map(communities.flatMap((c) => c.homes.map((h) => [h.accountIndex, () => h.agent.cycle(t)]))),
        );
        lap("agentsMs", since);
      }
      if (ended >= lastSlotStart) break;
    }
    // settle everything: past the last report deadline, the keeper until it finds nothing to do
    const settleStart = Date.now();
    cpuMark = { sim: process.cpuUsage(), chain: chainCpuMs(stack) };
    const window = await readPs.reportWindow();
    await stack.warpTo(lastSlotStart + L + window + 60);
    const keeper = keeperOf(startBlock);
    for (let i = 0; i < 50; i++) {
      const r = keeperDid(await keeper.cycle());
      if (r.claimed + r.settled + r.refunded === 0 && r.marketsPending === 0) break;
      if (i === 49)
        throw new Error(
          `the keeper still had work after 50 cycles: ${JSON.stringify(r, (_k, v) => (typeof v === "bigint" ? String(v) : v))}`,
        );
    }
    lap("settleMs", settleStart);
    const outcomes: CommunityOutcome[] = [];
    for (const c of communities) {
      const ledgers: HomeLedger[] = c.homes.map((h) => ({
        account: h.account,
        meterId: h.meterId,
        plan: h.plan,
        flows: h.flows,
      }));
      const states = await Promise.all(c.homes.map((h) => h.agent.state()));
      outcomes.push({
        ...(await accountCommunity(readPs, {
          strategy: c.strategy,
          communityId: c.communityId,
          homes: ledgers,
          deposit: DEPOSIT,
          fromBlock: startBlock,
          tariffs: params.tariffs,
          gasUsed: states.reduce((s, x) => s + (x?.memory.gasUsed ?? 0), 0),
          refusals: states.reduce((s, x) => s + (x?.memory.refused ?? 0), 0),
          actErrors: states.reduce((s, x) => s + (x?.memory.errors ?? 0), 0),
        })),
        // where the agents' observations came from (the indexer, or the chain: ChainSource or a fallback)
        observations: {
          indexer: states.reduce((s, x) => s + (x?.memory.observe?.indexerCycles ?? 0), 0),
          chain: states.reduce((s, x) => s + (x?.memory.observe?.chainCycles ?? 0), 0),
        },
      });
    }
    const cpu = process.cpuUsage(cpu0);
    cpuPhases.simCpuMs = Math.round((cpu.user + cpu.system) / 1000);
    cpuPhases.chainCpuMs = chainCpuMs(stack) - chain0;
    if (ponder) cpuPhases.indexerCpuMs = procCpuMs(ponder.proc.pid);
    return {
      params,
      wallSeconds: (Date.now() - t0) / 1000,
      communities: outcomes,
      gridOnly,
      phases: {
        ...phases,
        ...cpuPhases,
        ...sequencer.stats,
        ...keeperWork,
        ...(ponder ? indexerWork : {}),
        ...(oraclePath?.stats ?? {}),
      },
      rpcCounts,
    };
  } finally {
    for (const close of closers) close();
    for (const s of savers) s.close();
    await ponder?.stop();
    rmSync(dir, { recursive: true, force: true });
    if (!opts.stack) await stack.stop();
  }
}

/** CPU time of the chain's node process so far, ms (0 where /proc is not there). */
function chainCpuMs(stack: TestStack): number {
  return procCpuMs(stack.node.proc.pid);
}

/** CPU time of a process so far, ms (0 where /proc is not there). */
function procCpuMs(pid: number | undefined): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(f[11]) + Number(f[12])) * 10; // utime + stime, in 1/100 s
  } catch {
    return 0;
  }
}

async function measureAndReport(
  post: (reports: MeterReport[]) => Promise<void>,
  ps: PowerShare,
  communities: SimCommunity[],
  draws: HomeDraws[],
  baseline: HomeCopy[],
  gridOnly: SimResult["gridOnly"],
  slot: number,
  L: number,
  plans: HouseholdPlan[],
): Promise<void> {
  const d = draws.map((x) => x.next(slot, L));
  plans.forEach((p, i) => {
    const f = baseline[i]!.step(d[i]!, 0, L);
    gridOnly.importWh[i]! += f.importedWh;
    gridOnly.exportWh[i]! += f.exportedWh;
    gridOnly.pvWh[i]! += d[i]!.pvWh;
    gridOnly.loadWh[i]! += d[i]!.loadWh;
  });
  const reports: MeterReport[] = [];
  for (const c of communities) {
    const marketId = marketIdOf(c.communityId, slot);
    const sold = await Promise.all(
      c.homes.map((h) =>
        h.plan.pv || h.plan.battery ? ps.sale(marketId, h.meterId).then((s) => Number(s.soldWh)) : 0,
      ),
    );
    c.homes.forEach((h, i) => {
      const f = h.copy.step(d[h.plan.index]!, sold[i]!, L);
      h.flows.set(slot, f);
      reports.push({
        meterId: h.meterId,
        slotStart: slot,
        importedWh: BigInt(f.importedWh),
        exportedWh: BigInt(f.exportedWh),
      });
    });
  }
  await post(reports);
}

/**
 * The keeper's gas "estimate": its largest batch (60 claims, 30 sellers) fits; with the SDK's 20 %
 * headroom it stays below the node's per-transaction cap (EIP-7825, 2^24).
 */
const KEEPER_GAS = 13_000_000n;

/** `base`, except that gas estimates are answered with `gas` (the node's estimate runs the call many times). */
function fixedGasTransport(base: Transport, gas: bigint): Transport {
  return (args) => {
    const t = base(args);
    const request = (async ({ method, params }: { method: string; params?: unknown }) =>
      method === "eth_estimateGas"
        ? `0x${gas.toString(16)}`
        : t.request({ method, params } as never)) as typeof t.request;
    return { ...t, request };
  };
}
