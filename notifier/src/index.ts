/** @powershare/notifier public entry. */
export { startNotifier, openStore, type NotifierConfig, type RunningNotifier } from "./notifier.ts";
export {
  EVENT_TYPES,
  CHANNELS,
  EVENT_VARIABLES,
  type EventType,
  type Channel,
  type HookEvent,
  type NotifierEvent,
} from "./events.ts";
export { signWebhook, verifyWebhook, SIGNATURE_HEADER, TIMESTAMP_HEADER } from "./channels/webhook.ts";
export { RecordingSmsProvider, TwilioSmsProvider, type SmsProvider } from "./channels/sms.ts";
export { checkWebhookUrl, isForbiddenAddress } from "./channels/network-guard.ts";
export { defaultTemplate, renderTemplate, validateTemplate } from "./templates.ts";
