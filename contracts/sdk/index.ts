/**
 * @powershare/contracts/sdk — the typed client over viem that every TypeScript part of PowerShare
 * uses to talk to the contracts (dApp, agents, keeper, CLI, bots). Browser-safe: viem only, no
 * Node built-ins. See sdk/README.md.
 */
export { createPowerShare, type PowerShare, type PowerShareOptions } from "./client.ts";
export {
  addressesFromBook,
  chainNow,
  type AnyPublicClient,
  type AnyWalletClient,
  type PowerShareAddresses,
  type SdkContext,
} from "./context.ts";

// units, ticks, ids
export * from "./units.ts";
export * from "./ids.ts";

// errors
export {
  ContractError,
  InvalidInputError,
  PowerShareError,
  PreflightError,
  TransactionError,
} from "./errors/sdk-errors.ts";
export {
  decodeRevertData,
  explainError,
  fallbackSentence,
  findRevertData,
  POWERSHARE_ERRORS,
  toPowerShareError,
  type DecodedRevert,
} from "./errors/decoder.ts";
export { describeMarket, describeOrder, SENTENCES } from "./errors/messages.ts";

// reads
export * from "./reads/communities.ts";
export * from "./reads/book.ts";
export * from "./reads/accounts.ts";
export * from "./reads/markets.ts";
export * from "./reads/settlement.ts";
export { marketReadMany } from "./reads/batch.ts";

// writes
export * from "./writes/checks.ts";
export {
  execute,
  simulate,
  queueOf,
  type ContractCall,
  type WriteOptions,
  type WriteResult,
} from "./writes/execute.ts";
export * from "./writes/orders.ts";
export * from "./writes/funds.ts";
export * from "./writes/settlement.ts";
export * from "./writes/meters.ts";

// transactions
export { TxQueue, queueFor, type TxQueueOptions, type TxRequest } from "./tx/queue.ts";
export {
  decodeEvents,
  eventsNamed,
  POWERSHARE_EVENTS,
  toTxResult,
  type DecodedEvent,
  type TxResult,
} from "./tx/receipts.ts";

// discovery (indexer first, chain logs as fallback)
export * from "./discovery.ts";

// indexer reads (validated; the chain stays the truth for money: decision 0042)
export * from "./indexer.ts";
