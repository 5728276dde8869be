/**
 * @powershare/gateway — the Beckn v2 BPP of PowerShare (docs/beckn.md). The signing helpers are
 * what a BAP needs to talk to it.
 */
export { startGateway, type Gateway, type GatewayOptions } from "./gateway.ts";
export {
  authorizationHeader,
  bodyDigest,
  generateSigningKeyPair,
  parseAuthorization,
  publicKeyOf,
  signingString,
  SignatureError,
  verifySignature,
  type SigningKey,
} from "./signing.ts";
export { fileRegistry, parseRegistry, staticRegistry, type Registry, type Subscriber } from "./registry.ts";
export { parseAccounts, readAccountsFile, type BapAccount } from "./bap-accounts.ts";
export { SchemaValidator, REQUEST_ACTIONS, CALLBACK_ACTIONS } from "./schemas.ts";
export { BECKN_ERRORS, type AckResponse } from "./protocol-errors.ts";
export { loadConfig, ConfigError, type GatewayConfig } from "./config.ts";
