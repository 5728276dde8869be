/**
 * The protocol's ACK/NACK (Beckn v2 core `AckResponse`) and the error codes a BPP answers with
 * (Beckn's BECKN-005 error codes for BPPs; the signature codes as on ONDC, the largest Beckn network).
 */
export const BECKN_ERRORS = {
  INVALID_REQUEST: { code: "30000", message: "Invalid request" },
  PROVIDER_NOT_FOUND: { code: "30001", message: "Provider not found" },
  ITEM_NOT_FOUND: { code: "30004", message: "Item not found" },
  OFFER_NOT_FOUND: { code: "30006", message: "Offer not found" },
  FULFILLMENT_UNAVAILABLE: { code: "30008", message: "Fulfillment unavailable" },
  ORDER_NOT_FOUND: { code: "30010", message: "Order not found" },
  INVALID_SIGNATURE: { code: "30016", message: "Invalid Signature" },
  STALE_REQUEST: { code: "30022", message: "Stale Request" },
  QUANTITY_UNAVAILABLE: { code: "40002", message: "Item quantity unavailable" },
  ORDER_REJECTED: { code: "40003", message: "Order rejected" },
  PAYMENT_NOT_AUTHORIZED: { code: "40004", message: "Payment not authorized" },
  CANCELLATION_NOT_POSSIBLE: { code: "50001", message: "Cancellation not possible" },
  INTERNAL_ERROR: { code: "50000", message: "Internal error" },
} as const;

export type BecknErrorName = keyof typeof BECKN_ERRORS;

export interface AckResponse {
  transactionId: string;
  timestamp: string;
  ackStatus: "ACK" | "NACK";
  error?: { code: string; message: string; details?: Record<string, unknown> };
}

export function ack(transactionId: string): AckResponse {
  return { transactionId, timestamp: new Date().toISOString(), ackStatus: "ACK" };
}

export function nack(
  transactionId: string,
  name: BecknErrorName,
  sentence: string,
  details?: Record<string, unknown>,
): AckResponse {
  const e = BECKN_ERRORS[name];
  return {
    transactionId,
    timestamp: new Date().toISOString(),
    ackStatus: "NACK",
    error: { code: e.code, message: `${e.message}: ${sentence}`, ...(details ? { details } : {}) },
  };
}

/** A business error raised while answering a request; it becomes the `error` of the on_* callback. */
export class BecknBusinessError extends Error {
  readonly errorName: BecknErrorName;
  readonly details: Record<string, unknown> | undefined;
  constructor(name: BecknErrorName, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = "BecknBusinessError";
    this.errorName = name;
    this.details = details;
  }
  toError(): { code: string; message: string; details?: Record<string, unknown> } {
    const e = BECKN_ERRORS[this.errorName];
    return {
      code: e.code,
      message: `${e.message}: ${this.message}`,
      ...(this.details ? { details: this.details } : {}),
    };
  }
}
