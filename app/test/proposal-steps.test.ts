import { treasuryGovernorAbi } from "@powershare/contracts";
import { describe, expect, it } from "vitest";
import {
  createClient,
  custom,
  encodeAbiParameters,
  encodeEventTopics,
  numberToHex,
  pad,
  type Address,
  type Hex,
} from "viem";
import { getBlockNumber } from "viem/actions";
import { readProposalSteps, StepNotOnRpcYet } from "@/lib/proposal-steps";

const GOVERNOR: Address = "0x00000000000000000000000000000000000000aa";
const RECIPIENT: Address = "0x00000000000000000000000000000000000000bb";

/** A chain as an RPC node serves it: the governor's queue and execute logs up to its head. */
function chain() {
  const state = { head: 10n, calls: [] as string[] };
  const log = (eventName: "ProposalQueued" | "ProposalExecuted", block: bigint, data: Hex) => ({
    address: GOVERNOR,
    topics: encodeEventTopics({ abi: treasuryGovernorAbi, eventName, args: { proposalId: 7n } } as never),
    data,
    blockNumber: numberToHex(block),
    blockHash: pad(numberToHex(block)),
    transactionHash: pad(numberToHex(block * 1000n)),
    transactionIndex: "0x0",
    logIndex: "0x0",
    removed: false,
  });
  const logs = [
    log("ProposalQueued", 10n, encodeAbiParameters([{ type: "uint256" }], [4_000n])),
    log(
      "ProposalExecuted",
      12n,
      encodeAbiParameters([{ type: "address" }, { type: "uint256" }], [RECIPIENT, 1_500n]),
    ),
  ];
  const provider = {
    async request({ method, params }: { method: string; params?: unknown }) {
      state.calls.push(method);
      const [arg] = (params ?? []) as [Record<string, string> | string];
      switch (method) {
        case "eth_chainId":
          return "0x7a69";
        case "eth_blockNumber":
          return numberToHex(state.head);
        case "eth_getLogs": {
          const q = arg as Record<string, string>;
          const to = q.toBlock === undefined || q.toBlock === "latest" ? state.head : BigInt(q.toBlock);
          return logs.filter((l) => BigInt(l.blockNumber) <= to && BigInt(l.blockNumber) <= state.head);
        }
        case "eth_getBlockByNumber": {
          const n = BigInt(arg as string);
          return {
            number: numberToHex(n),
            hash: pad(numberToHex(n)),
            timestamp: numberToHex(1_000n + n),
            transactions: [],
          };
        }
        default:
          throw new Error(`unexpected ${method}`);
      }
    },
  };
  // The client caches the block number as wagmi's do (viem's cacheTime, the polling interval).
  const client = createClient({ transport: custom(provider), cacheTime: 60_000 });
  return { state, client };
}

describe("readProposalSteps", () => {
  it("reads the queue and execute transactions with their block times", async () => {
    const { state, client } = chain();
    state.head = 12n;
    const steps = await readProposalSteps(client, GOVERNOR, 7n, ["ProposalQueued", "ProposalExecuted"]);
    expect(steps.ProposalQueued).toEqual({ at: 1_010n, hash: pad(numberToHex(10_000n)) });
    expect(steps.ProposalExecuted).toEqual({ at: 1_012n, hash: pad(numberToHex(12_000n)) });
  });

  it("reads up to the node's head, not a block number the client cached before the execution", async () => {
    const { state, client } = chain();
    expect(await getBlockNumber(client)).toBe(10n); // cached at the queue's block
    state.head = 12n; // the execution lands
    const steps = await readProposalSteps(client, GOVERNOR, 7n, ["ProposalQueued", "ProposalExecuted"]);
    expect(steps.ProposalExecuted?.at).toBe(1_012n);
  });

  it("rejects while the RPC lags the indexer, so the timeline reads again instead of keeping a gap", async () => {
    const { state, client } = chain();
    const read = () => readProposalSteps(client, GOVERNOR, 7n, ["ProposalQueued", "ProposalExecuted"]);
    await expect(read()).rejects.toBeInstanceOf(StepNotOnRpcYet);
    state.head = 12n;
    expect((await read()).ProposalExecuted?.at).toBe(1_012n);
    // Only the steps the indexer reported are required.
    state.head = 10n;
    const queuedOnly = await readProposalSteps(client, GOVERNOR, 7n, ["ProposalQueued"]);
    expect(Object.keys(queuedOnly)).toEqual(["ProposalQueued"]);
  });
});
