/**
 * The SDK's typed errors. Every error has a stable `code` (for programs) and a one-line `message`
 * (for people). Nothing is sent to the chain when one of these is thrown before a transaction.
 */

/** Base class of every error the SDK throws on purpose. */
export class PowerShareError extends Error {
  /** Stable machine-readable code, e.g. "INVALID_INPUT", "MARKET_CLOSED", "CONTRACT_ERROR". */
  readonly code: string;
  /** Structured details (arguments, limits) for programs; never contains keys or secrets. */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: string, message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, options);
    this.name = "PowerShareError";
    this.code = code;
    this.details = details;
  }
}

/** A caller's input is malformed or out of range (checked locally, before any RPC call). */
export class InvalidInputError extends PowerShareError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super("INVALID_INPUT", message, details);
    this.name = "InvalidInputError";
  }
}

/**
 * A pre-check against the chain's current state found that the transaction would fail (market
 * closed, balance short, meter not owned…). `code` names the reason; the message explains it.
 */
export class PreflightError extends PowerShareError {
  constructor(code: string, message: string, details: Record<string, unknown> = {}) {
    super(code, message, details);
    this.name = "PreflightError";
  }
}

/** A contract reverted (in a simulation or a mined transaction), decoded from its custom error. */
export class ContractError extends PowerShareError {
  /** The Solidity error's name, e.g. "MarketClosed"; "Error" for require strings, "Panic" for panics. */
  readonly errorName: string;
  /** The error's arguments by parameter name (and by position under "0", "1", …). */
  readonly args: Readonly<Record<string, unknown>>;
  /** The raw revert data. */
  readonly data: `0x${string}`;

  constructor(
    errorName: string,
    args: Record<string, unknown>,
    sentence: string,
    data: `0x${string}`,
    options?: ErrorOptions,
  ) {
    super("CONTRACT_ERROR", sentence, { errorName, args }, options);
    this.name = "ContractError";
    this.errorName = errorName;
    this.args = args;
    this.data = data;
  }
}

/** A transaction could not be sent or confirmed (fee cap, replacement limit, reverted receipt…). */
export class TransactionError extends PowerShareError {
  constructor(code: string, message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(code, message, details, options);
    this.name = "TransactionError";
  }
}
