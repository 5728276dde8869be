/** Dev-chain seeding, shared by `npm run dev` and the end-to-end tests. */
export * from "./accounts.ts";
export * from "./scenario.ts";
export * from "./seed.ts";
