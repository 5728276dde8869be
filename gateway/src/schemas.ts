/**
 * JSON Schema validation (ajv, JSON Schema 2020-12 as OpenAPI 3.1 uses) of what comes in and what
 * goes out:
 *
 * - requests: the Beckn v2 transaction envelope (context fields) and the message shape of each
 *   action, with `select`/`init`/`confirm` orders checked for what the gateway reads (IncomingOrder)
 *   — so requests shaped as the guide's examples pass;
 * - answers: every on_* callback the gateway sends, checked against the (closed) core schemas and,
 *   inside, each attribute pack by its `@type` (EnergyResource, EnergyTradeOffer,
 *   EnergyTradeContract, EnergyOrderItem, EnergyTradeDelivery).
 *
 * The schemas are the gateway's own (schema/beckn-schemas.ts, decision 0053).
 */
import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { BECKN_CORE, ENERGY_PACKS } from "./schema/beckn-schemas.ts";

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
const BASE = "https://schemas.powershare.local/beckn/";
const CORE = `${BASE}core.json`;
const ENERGY = `${BASE}energy-packs.json`;

export const REQUEST_ACTIONS = [
  "discover",
  "search",
  "select",
  "init",
  "confirm",
  "status",
  "cancel",
] as const;
export type RequestAction = (typeof REQUEST_ACTIONS)[number];
export const CALLBACK_ACTIONS = [
  "on_discover",
  "on_select",
  "on_init",
  "on_confirm",
  "on_status",
  "on_cancel",
  "on_update",
] as const;
export type CallbackAction = (typeof CALLBACK_ACTIONS)[number];

const PACKS = [
  "EnergyResource",
  "EnergyTradeOffer",
  "EnergyTradeContract",
  "EnergyOrderItem",
  "EnergyTradeDelivery",
] as const;
export type PackName = (typeof PACKS)[number];

const context = (actions: readonly string[]) => ({
  type: "object",
  required: ["version", "action", "bap_id", "bap_uri", "transaction_id", "message_id", "timestamp"],
  properties: {
    domain: { type: "string", minLength: 1 },
    action: { enum: actions },
    version: { type: "string", pattern: "^2\\.\\d+\\.\\d+$" },
    bap_id: { type: "string", minLength: 1 },
    bap_uri: { type: "string", format: "uri", pattern: "^https?://" },
    bpp_id: { type: "string", minLength: 1 },
    bpp_uri: { type: "string", format: "uri", pattern: "^https?://" },
    transaction_id: { type: "string", minLength: 1, maxLength: 200 },
    message_id: { type: "string", minLength: 1, maxLength: 200 },
    timestamp: { type: "string", format: "date-time" },
    ttl: { type: "string", pattern: "^P(?!$)(\\d+D)?(T(?=\\d)(\\d+H)?(\\d+M)?(\\d+(\\.\\d+)?S)?)?$" },
    location: { type: "object" },
    network_id: { type: "array", items: { type: "string" } },
    schema_context: { type: "array", items: { type: "string" } },
  },
});

const orderRef = {
  type: "object",
  properties: { id: { type: "string", minLength: 1 }, "beckn:id": { type: "string", minLength: 1 } },
  anyOf: [{ required: ["id"] }, { required: ["beckn:id"] }],
};

const requestMessage: Record<RequestAction, object> = {
  discover: {
    type: "object",
    properties: {
      text_search: { type: "string" },
      filters: {
        type: "object",
        required: ["type", "expression"],
        properties: { type: { enum: ["jsonpath"] }, expression: { type: "string", maxLength: 4000 } },
      },
    },
  },
  search: { $ref: "#/$defs/discoverMessage" },
  select: {
    type: "object",
    required: ["order"],
    properties: { order: { $ref: `${CORE}#/$defs/IncomingOrder` } },
  },
  init: {
    type: "object",
    required: ["order"],
    properties: { order: { $ref: `${CORE}#/$defs/IncomingOrder` } },
  },
  confirm: {
    type: "object",
    required: ["order"],
    properties: { order: { $ref: `${CORE}#/$defs/IncomingOrder` } },
  },
  status: { type: "object", required: ["order"], properties: { order: orderRef } },
  cancel: {
    type: "object",
    required: ["order"],
    properties: { order: orderRef, cancellation_reason_id: { type: "string" }, reason: { type: "object" } },
  },
};

function callbackMessage(action: CallbackAction): object {
  const body =
    action === "on_discover"
      ? {
          type: "object",
          required: ["catalogs"],
          properties: { catalogs: { type: "array", items: { $ref: `${CORE}#/$defs/Catalog` } } },
        }
      : {
          type: "object",
          required: ["order"],
          properties: { order: { $ref: `${CORE}#/$defs/Order` } },
        };
  return {
    type: "object",
    required: ["context"],
    properties: {
      context: {
        ...context([action]),
        required: [...context([action]).required, "bpp_id", "bpp_uri"],
      },
      message: body,
      error: { $ref: `${CORE}#/$defs/Error` },
    },
    anyOf: [{ required: ["message"] }, { required: ["error"] }],
  };
}

export interface ValidationProblem {
  path: string;
  message: string;
}

export class SchemaValidator {
  private readonly ajv: Ajv2020;
  private readonly requests = new Map<string, ValidateFunction>();
  private readonly callbacks = new Map<string, ValidateFunction>();
  private readonly packs = new Map<string, ValidateFunction>();
  private readonly ackValidator: ValidateFunction;

  constructor() {
    this.ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: true });
    addFormats(this.ajv);
    this.ajv.addSchema({ ...BECKN_CORE, $id: CORE });
    this.ajv.addSchema({ ...ENERGY_PACKS, $id: ENERGY });
    for (const action of REQUEST_ACTIONS) {
      const schema = {
        $defs: { discoverMessage: requestMessage.discover },
        type: "object",
        required: ["context", "message"],
        properties: { context: context([action]), message: requestMessage[action] },
      };
      this.requests.set(action, this.ajv.compile(schema));
    }
    for (const action of CALLBACK_ACTIONS)
      this.callbacks.set(action, this.ajv.compile(callbackMessage(action)));
    for (const pack of PACKS) this.packs.set(pack, this.ajv.getSchema(`${ENERGY}#/$defs/${pack}`)!);
    this.ackValidator = this.ajv.getSchema(`${CORE}#/$defs/AckResponse`)!;
  }

  /** Problems with a request body for `action` (empty when valid). */
  request(action: RequestAction, body: unknown): ValidationProblem[] {
    const v = this.requests.get(action)!;
    return v(body) ? [] : problems(v.errors);
  }

  /** Problems with an on_* callback body, the attribute packs inside included (empty when valid). */
  callback(action: CallbackAction, body: unknown): ValidationProblem[] {
    const v = this.callbacks.get(action)!;
    if (!v(body)) return problems(v.errors);
    const found: ValidationProblem[] = [];
    walkPacks(body, "", (pack, value, at) => {
      const pv = this.packs.get(pack)!;
      if (!pv(value)) found.push(...problems(pv.errors).map((p) => ({ ...p, path: at + p.path })));
    });
    return found;
  }

  /** Problems with catalogs (as published by catalog_publish), the attribute packs included. */
  catalogs(list: unknown): ValidationProblem[] {
    const v = this.ajv.getSchema(`${CORE}#/$defs/Catalog`)!;
    if (!Array.isArray(list)) return [{ path: "/", message: "must be an array of catalogs" }];
    const found: ValidationProblem[] = [];
    list.forEach((c, i) => {
      if (!v(c)) found.push(...problems(v.errors).map((p) => ({ ...p, path: `/${i}${p.path}` })));
    });
    walkPacks(list, "", (pack, value, at) => {
      const pv = this.packs.get(pack)!;
      if (!pv(value)) found.push(...problems(pv.errors).map((p) => ({ ...p, path: at + p.path })));
    });
    return found;
  }

  /** Which attribute packs a body carries (for tests: an answer without them proves little). */
  packsIn(body: unknown): PackName[] {
    const seen = new Set<PackName>();
    walkPacks(body, "", (pack) => seen.add(pack));
    return [...seen].sort();
  }

  ack(body: unknown): ValidationProblem[] {
    return this.ackValidator(body) ? [] : problems(this.ackValidator.errors);
  }
}

function walkPacks(
  value: unknown,
  at: string,
  visit: (pack: PackName, value: unknown, at: string) => void,
): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => walkPacks(v, `${at}/${i}`, visit));
    return;
  }
  if (!value || typeof value !== "object") return;
  const type = (value as Record<string, unknown>)["@type"];
  if (typeof type === "string" && (PACKS as readonly string[]).includes(type))
    visit(type as PackName, value, at);
  for (const [k, v] of Object.entries(value)) walkPacks(v, `${at}/${k}`, visit);
}

function problems(errors: ErrorObject[] | null | undefined): ValidationProblem[] {
  return (errors ?? []).map((e) => ({
    path: e.instancePath || "/",
    message: `${e.message ?? "is invalid"}${e.params && "additionalProperty" in e.params ? ` (${String(e.params.additionalProperty)})` : ""}${e.params && "allowedValues" in e.params ? ` (${(e.params.allowedValues as unknown[]).join(", ")})` : ""}`,
  }));
}

/** One sentence for a list of problems, e.g. for a NACK. */
export function describeProblems(list: ValidationProblem[], max = 5): string {
  const shown = list.slice(0, max).map((p) => `${p.path} ${p.message}`);
  return shown.join("; ") + (list.length > max ? `; and ${list.length - max} more` : "");
}
