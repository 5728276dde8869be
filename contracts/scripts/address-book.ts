/**
 * Writes the address book contracts/deployments/<chainId>.json from an Ignition deployment's journal
 * (ignition/deployments/<deploymentId>/journal.jsonl): every deployed contract with its address and
 * deployment block (indexers start there), plus the quote token EnergyMarket was deployed with.
 *
 *   node scripts/address-book.ts [deploymentId]        # default chain-31337
 *
 * The dev chain's book (31337.json) is gitignored and rewritten by `npm run dev`; the books of
 * public chains (80002.json, 137.json) are committed after a deployment (docs/deploy.md).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { AddressBook, AddressBookEntry, Hex } from "../types.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

type JournalLine = {
  type: string;
  futureId: string;
  chainId?: number;
  contractName?: string;
  constructorArgs?: unknown[];
  hash?: string;
  receipt?: { blockNumber: number; contractAddress?: string; status: string };
  result?: { type: string; address?: string };
};

export function addressBookFromJournal(deploymentDir: string): AddressBook {
  const journal = path.join(deploymentDir, "journal.jsonl");
  if (!existsSync(journal)) throw new Error(`no Ignition journal at ${journal}`);
  const lines = readFileSync(journal, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as JournalLine);

  const chainId = lines.find((l) => l.type === "DEPLOYMENT_INITIALIZE")?.chainId;
  if (chainId === undefined) throw new Error(`${journal} has no DEPLOYMENT_INITIALIZE line`);

  const contracts: Record<string, AddressBookEntry> = {};
  let quoteToken: Hex | undefined;
  for (const init of lines.filter((l) => l.type === "DEPLOYMENT_EXECUTION_STATE_INITIALIZE")) {
    const { futureId, contractName } = init;
    if (contractName === undefined) continue;
    const done = lines.find(
      (l) => l.type === "DEPLOYMENT_EXECUTION_STATE_COMPLETE" && l.futureId === futureId,
    );
    if (done?.result?.type !== "SUCCESS" || done.result.address === undefined) continue;
    const confirm = lines.find(
      (l) =>
        l.type === "TRANSACTION_CONFIRM" &&
        l.futureId === futureId &&
        l.receipt?.contractAddress?.toLowerCase() === done.result!.address!.toLowerCase(),
    );
    if (confirm?.receipt === undefined) continue;
    contracts[contractName] = {
      address: done.result.address as Hex,
      blockNumber: confirm.receipt.blockNumber,
      transactionHash: confirm.hash as Hex,
      future: futureId,
    };
    if (contractName === "EnergyMarket") quoteToken = init.constructorArgs?.[0] as Hex;
  }
  if (contracts.EnergyMarket === undefined || quoteToken === undefined) {
    throw new Error(`${journal} has no completed EnergyMarket deployment`);
  }
  return {
    chainId,
    deploymentId: path.basename(deploymentDir),
    quoteToken,
    startBlock: Math.min(...Object.values(contracts).map((c) => c.blockNumber)),
    contracts,
  };
}

export function addressBookPath(chainId: number): string {
  return path.join(root, "deployments", `${chainId}.json`);
}

export function writeAddressBook(book: AddressBook): string {
  const file = addressBookPath(book.chainId);
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(book, null, 2) + "\n");
  renameSync(tmp, file);
  return file;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const deploymentId = process.argv[2] ?? "chain-31337";
  const book = addressBookFromJournal(path.join(root, "ignition", "deployments", deploymentId));
  const file = writeAddressBook(book);
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
  for (const [name, c] of Object.entries(book.contracts)) console.log(`  ${name.padEnd(18)} ${c.address}`);
}
