/**
 * Message templates per event and channel: `{{name}}` placeholders filled with the event's
 * variables (HTML-escaped in `html`). Defaults below; operators override them through the API.
 */
import { CHANNELS, EVENT_TYPES, EVENT_VARIABLES, type Channel, type EventType } from "./events.ts";

export interface Template {
  /** Email subject, push and in-app title. */
  subject: string;
  /** Plain text: email text part, SMS, push and in-app body, webhook `message`. */
  text: string;
  /** Email HTML part (email only). */
  html?: string | undefined;
}

const BASE: Record<EventType, { subject: string; text: string }> = {
  order_filled: {
    subject: "Your {{side}} order was {{completeness}} filled",
    text: "{{filledKwh}} kWh of your {{side}} order ({{orderKwh}} kWh, {{role}}) traded at {{price}} USDC/kWh ({{value}} USDC) in {{market}}, slot {{slot}}.",
  },
  order_released: {
    subject: "Your {{side}} order was released at the gate",
    text: "The gate of {{market}} (slot {{slot}}) closed: your {{side}} order filled {{filledKwh}} of {{orderKwh}} kWh ({{value}} USDC) and {{released}} USDC was released to your balance.",
  },
  meter_reported: {
    subject: "Meter {{meterId}} reported for slot {{slot}}",
    text: "The oracle posted meter {{meterId}}'s reading for slot {{slot}}: {{exportedKwh}} kWh exported, {{importedKwh}} kWh imported.",
  },
  sale_settled: {
    subject: "Your sale in {{market}} settled: {{outcome}}",
    text: "Meter {{meterId}} sold {{soldKwh}} kWh and delivered {{deliveredKwh}} kWh in {{market}} (slot {{slot}}). Paid {{payout}} USDC (fee {{fee}} USDC); bond slashed {{bondSlashed}} USDC; buyers refunded {{refunded}} USDC.",
  },
  refund_waiting: {
    subject: "A refund of {{refund}} USDC is waiting for you",
    text: "The sellers of {{market}} (slot {{slot}}) did not deliver everything: {{refund}} USDC of the {{paid}} USDC you paid comes back to you.",
  },
  proposal_opened: {
    subject: "New treasury proposal #{{proposalId}} in community {{communityId}}",
    text: "Proposal #{{proposalId}}: pay {{amount}} USDC to {{to}} — {{description}}. Voting ends {{voteEnd}}.",
  },
  proposal_ready: {
    subject: "Proposal #{{proposalId}} is ready to execute",
    text: "Proposal #{{proposalId}} of community {{communityId}} (pay {{amount}} USDC to {{to}}: {{description}}) passed and can be executed from {{eta}}.",
  },
  low_balance: {
    subject: "Your PowerShare balance is low",
    text: "Your free balance is {{free}} USDC, below the {{threshold}} USDC you asked to be warned at.",
  },
  agent_action: {
    subject: "Agent {{agent}}: {{action}}",
    text: "Your agent {{agent}} did this: {{action}}. {{detail}}",
  },
};

/** The built-in template of an event on a channel. */
export function defaultTemplate(type: EventType, channel: Channel): Template {
  const b = BASE[type];
  if (channel !== "email") return { subject: b.subject, text: b.text };
  return {
    subject: b.subject,
    text: `${b.text}\n\n— PowerShare`,
    html: `<!doctype html><html><body style="font-family:sans-serif"><h2>${b.subject}</h2><p>${b.text}</p><p style="color:#666">— PowerShare</p></body></html>`,
  };
}

const PLACEHOLDER = /\{\{\s*([A-Za-z][A-Za-z0-9]*)\s*\}\}/g;

export function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );
}

export function render(template: string, vars: Record<string, string>, html = false): string {
  return template.replace(PLACEHOLDER, (_, name: string) => {
    const v = vars[name] ?? "";
    return html ? escapeHtml(v) : v;
  });
}

export interface Rendered {
  subject: string;
  text: string;
  html?: string | undefined;
}

export function renderTemplate(t: Template, vars: Record<string, string>): Rendered {
  return {
    subject: render(t.subject, vars),
    text: render(t.text, vars),
    html: t.html === undefined ? undefined : render(t.html, vars, true),
  };
}

export class TemplateError extends Error {}

const LIMITS = { subject: 200, text: 5_000, html: 100_000 } as const;

/** Checks a template someone wants to save: known placeholders only, sizes, HTML only for email. */
export function validateTemplate(type: string, channel: string, body: unknown): Template {
  if (!(EVENT_TYPES as readonly string[]).includes(type))
    throw new TemplateError(`unknown event type "${type}"; one of ${EVENT_TYPES.join(", ")}`);
  if (!(CHANNELS as readonly string[]).includes(channel))
    throw new TemplateError(`unknown channel "${channel}"; one of ${CHANNELS.join(", ")}`);
  if (typeof body !== "object" || body === null)
    throw new TemplateError("the template must be a JSON object");
  const o = body as Record<string, unknown>;
  const t: Template = { subject: "", text: "" };
  for (const field of ["subject", "text", "html"] as const) {
    const v = o[field];
    if (v === undefined && field === "html") continue;
    if (typeof v !== "string" || v.trim() === "")
      throw new TemplateError(`the template's ${field} must be a non-empty string`);
    if (v.length > LIMITS[field])
      throw new TemplateError(`the template's ${field} is longer than ${LIMITS[field]} characters`);
    const allowed = EVENT_VARIABLES[type as EventType];
    for (const m of v.matchAll(PLACEHOLDER)) {
      if (!allowed.includes(m[1]!))
        throw new TemplateError(
          `the ${field} uses {{${m[1]}}}, which ${type} does not have; it has ${allowed.join(", ")}`,
        );
    }
    t[field] = v;
  }
  if (t.html !== undefined && channel !== "email")
    throw new TemplateError("only email templates have an html part");
  const unknown = Object.keys(o).filter((k) => !["subject", "text", "html"].includes(k));
  if (unknown.length)
    throw new TemplateError(`unknown template field ${unknown.join(", ")}; fields are subject, text, html`);
  return t;
}
