/**
 * Everything graph-node reads from a chain for this subgraph's triggers: the logs of the data
 * sources' addresses from their first start block to the head (eth_getLogs), and the blocks
 * (with their transactions) those logs are in.
 */
import type { Hex, PublicClient } from "viem";
import type { RpcBlock, RpcLog, RpcTransaction } from "../host/ethereum.ts";
import type { ReplayInput } from "../host/subgraph.ts";

export async function fetchChainLogs(
  pub: PublicClient,
  addresses: Hex[],
  fromBlock: bigint,
  toBlock?: bigint,
): Promise<ReplayInput> {
  const to = toBlock ?? (await pub.getBlockNumber());
  const raw = await pub.request({
    method: "eth_getLogs",
    params: [
      { address: addresses, fromBlock: `0x${fromBlock.toString(16)}`, toBlock: `0x${to.toString(16)}` },
    ],
  });
  const perTx = new Map<Hex, number>();
  const logs: RpcLog[] = (
    raw as { address: Hex; topics: Hex[]; data: Hex; logIndex: Hex; blockNumber: Hex; transactionHash: Hex }[]
  )
    .map((l) => ({
      address: l.address,
      topics: l.topics,
      data: l.data,
      logIndex: Number(l.logIndex),
      blockNumber: BigInt(l.blockNumber),
      transactionHash: l.transactionHash,
      transactionLogIndex: 0,
    }))
    .sort((a, b) =>
      a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1,
    );
  for (const l of logs) {
    const n = perTx.get(l.transactionHash) ?? 0;
    l.transactionLogIndex = n;
    perTx.set(l.transactionHash, n + 1);
  }
  const blocks = new Map<bigint, RpcBlock>();
  const transactions = new Map<Hex, RpcTransaction>();
  const numbers = [...new Set(logs.map((l) => l.blockNumber))];
  for (let i = 0; i < numbers.length; i += 20) {
    const chunk = await Promise.all(
      numbers.slice(i, i + 20).map((n) => pub.getBlock({ blockNumber: n, includeTransactions: true })),
    );
    for (const b of chunk) {
      blocks.set(b.number!, {
        hash: b.hash!,
        parentHash: b.parentHash,
        sha3Uncles: b.sha3Uncles,
        miner: b.miner,
        stateRoot: b.stateRoot,
        transactionsRoot: b.transactionsRoot,
        receiptsRoot: b.receiptsRoot,
        number: b.number!,
        gasUsed: b.gasUsed,
        gasLimit: b.gasLimit,
        timestamp: b.timestamp,
        difficulty: b.difficulty,
        totalDifficulty: b.totalDifficulty ?? null,
        size: b.size ?? null,
        baseFeePerGas: b.baseFeePerGas ?? null,
      });
      for (const tx of b.transactions) {
        transactions.set(tx.hash, {
          hash: tx.hash,
          transactionIndex: tx.transactionIndex!,
          from: tx.from,
          to: tx.to ?? null,
          value: tx.value,
          gas: tx.gas,
          gasPrice: tx.gasPrice ?? 0n,
          input: tx.input,
          nonce: tx.nonce,
        });
      }
    }
  }
  return { logs, blocks, transactions };
}
