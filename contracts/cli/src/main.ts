/**
 * `powershare` — the PowerShare command line on @powershare/contracts/sdk.
 * Every command has --help; global options come before or after the command.
 */
import { Command, CommanderError, Option } from "commander";
import {
  ContractError,
  InvalidInputError,
  PowerShareError,
  PreflightError,
  TransactionError,
} from "@powershare/contracts/sdk";
import { EXIT } from "./exit-codes.ts";
import { makeOut } from "./output.ts";
import { ConfigError, NetworkError, openSession, type GlobalOptions, type Session } from "./session.ts";
import * as read from "./commands/read.ts";
import * as tradeCmd from "./commands/trade.ts";
import * as funds from "./commands/funds.ts";
import * as settleCmd from "./commands/settle.ts";
import { keeper } from "./commands/keeper.ts";
import * as meterCmd from "./commands/meter.ts";

/** The exit code and one line for anything a command throws. */
export function classify(err: unknown): { code: number; message: string } {
  if (err instanceof InvalidInputError) return { code: EXIT.usage, message: err.message };
  if (err instanceof PreflightError) return { code: EXIT.refused, message: err.message };
  if (err instanceof ContractError) return { code: EXIT.reverted, message: err.message };
  if (err instanceof TransactionError) return { code: EXIT.network, message: err.message };
  if (err instanceof PowerShareError) return { code: EXIT.refused, message: err.message };
  if (err instanceof ConfigError) return { code: EXIT.config, message: err.message };
  if (err instanceof NetworkError) return { code: EXIT.network, message: err.message };
  const message = err instanceof Error ? err.message.split("\n")[0]! : String(err);
  return { code: EXIT.internal, message };
}

export function buildProgram(): Command {
  const program = new Command("powershare")
    .description("PowerShare: trade energy with your neighbours, and keep the settlement loop running")
    .addOption(
      new Option(
        "--rpc <url>",
        "JSON-RPC URL (env POWERSHARE_RPC_URL; default for hardhat: http://127.0.0.1:8545)",
      ),
    )
    .addOption(
      new Option("--chain <name|id>", "hardhat, amoy, polygon or a chain id")
        .env("POWERSHARE_CHAIN")
        .default("hardhat"),
    )
    .addOption(
      new Option(
        "--addresses <file>",
        "address book JSON (env POWERSHARE_ADDRESS_BOOK; default contracts/deployments/<chainId>.json)",
      ),
    )
    .addOption(new Option("--indexer <url>", "indexer base URL for discovery (env POWERSHARE_INDEXER_URL)"))
    .addOption(
      new Option("--key-env <name>", "environment variable holding the signing key").default(
        "POWERSHARE_PRIVATE_KEY",
      ),
    )
    .addOption(
      new Option("--keystore <file>", "encrypted JSON keystore (v3) instead of a key in the environment"),
    )
    .addOption(
      new Option("--password-env <name>", "environment variable holding the keystore password").default(
        "POWERSHARE_KEYSTORE_PASSWORD",
      ),
    )
    .addOption(
      new Option("--fee-cap <gwei>", "never offer more than this max fee per gas").env(
        "POWERSHARE_FEE_CAP_GWEI",
      ),
    )
    .option("--json", "machine-readable JSON output", false)
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .addHelpText(
      "after",
      `
Exit codes: 0 ok, 2 bad input, 3 refused by the chain's state, 4 contract reverted, 5 RPC/transaction failure, 6 configuration (key, chain, addresses), 1 unexpected.
Amounts: energy in kWh (3 decimals), prices in USDC per kWh, money in USDC. Markets as <communityId>:<slotStart> or the numeric id.`,
    );

  const run =
    (signer: boolean, fn: (s: Session, out: ReturnType<typeof makeOut>, ...args: never[]) => Promise<void>) =>
    async (...args: unknown[]) => {
      const cmd = args.at(-1) as Command;
      const opts = cmd.optsWithGlobals() as GlobalOptions;
      const out = makeOut(Boolean(opts.json));
      const session = await openSession(opts, signer);
      await (fn as (s: Session, o: typeof out, ...a: unknown[]) => Promise<void>)(
        session,
        out,
        ...args.slice(0, -1),
      );
    };

  program
    .command("communities")
    .description("list communities and their market parameters")
    .action(run(false, read.communities));
  program
    .command("markets")
    .description("open markets of a community (with orders or trades; --all for every open slot)")
    .argument("<communityId>")
    .option("--all", "every open market, also empty ones")
    .option("--limit <n>", "at most n markets")
    .action(run(false, read.markets as never));
  program
    .command("book")
    .description("the order book of a market")
    .argument("<market>", "<communityId>:<slotStart> or the market id")
    .option("--levels <n>", "price levels per side", "10")
    .action(run(false, read.book as never));
  for (const side of ["buy", "sell"] as const) {
    program
      .command(side)
      .description(`place a ${side} order`)
      .argument("<market>", "<communityId>:<slotStart> or the market id")
      .argument("<kwh>", "energy in kWh, e.g. 1.5")
      .argument("<price>", "limit price in USDC per kWh, on the community's tick grid, e.g. 0.265")
      .requiredOption("--meter <id>", side === "buy" ? "your consuming meter" : "your delivering meter")
      .addOption(
        new Option("--type <type>", "order type")
          .choices(["limit", "ioc", "fok", "post-only"])
          .default("limit"),
      )
      .option("--dry-run", "check and simulate only; send nothing")
      .action(
        run(true, (async (
          s: Session,
          out: ReturnType<typeof makeOut>,
          m: string,
          k: string,
          p: string,
          o: tradeCmd.TradeOptions,
        ) => tradeCmd.trade(s, out, side, m, k, p, o)) as never),
      );
  }
  program
    .command("cancel")
    .description("cancel resting orders (one transaction)")
    .argument("<orderId...>")
    .option("--dry-run", "check and simulate only")
    .action(run(true, tradeCmd.cancel as never));
  program
    .command("orders")
    .description("your orders still on chain (resting, or waiting for their claim)")
    .option("--account <address>", "someone else's orders")
    .action((async (o: { account?: string }, cmd: Command) => {
      const opts = cmd.optsWithGlobals() as GlobalOptions;
      const session = await openSession(opts, !o.account);
      await read.orders(session, makeOut(Boolean(opts.json)), o);
    }) as never);
  program
    .command("deposit")
    .description("deposit USDC into the market (EIP-2612 permit, approve as fallback)")
    .argument("<amount>", "USDC, e.g. 100")
    .addOption(new Option("--method <m>", "auto, permit or approve").default("auto"))
    .option("--dry-run", "check and simulate only")
    .action(run(true, funds.deposit as never));
  program
    .command("withdraw")
    .description("withdraw free USDC from the market")
    .argument("<amount>", "USDC")
    .option("--to <address>", "recipient (default: yourself)")
    .option("--dry-run", "check and simulate only")
    .action(run(true, funds.withdraw as never));
  program
    .command("claim")
    .description("claim your maker orders after their gate, and your refunds")
    .argument("[orderId...]")
    .option("--all", "everything claimable by your account (indexer first, chain logs as fallback)")
    .action(run(true, settleCmd.claim as never));
  program
    .command("settle")
    .description("settle a market's seller meters, then pay its buyers' refunds (permissionless)")
    .argument("<market>")
    .option("--no-refunds", "settle sellers only")
    .action(run(true, settleCmd.settle as never));
  program
    .command("meters")
    .description("registered meters")
    .option("--owner <address>", "only this owner's")
    .option("--mine", "only yours (needs a key)")
    .option("--community <id>", "only this community's")
    .action((async (o: { owner?: string; community?: string; mine?: boolean }, cmd: Command) => {
      const opts = cmd.optsWithGlobals() as GlobalOptions;
      const session = await openSession(opts, Boolean(o.mine));
      await read.meters(session, makeOut(Boolean(opts.json)), o);
    }) as never);
  const meter = program.command("meter").description("meter admission (registrar certificates)");
  meter
    .command("certify")
    .description("as the community's meter registrar, sign a meter certificate for its owner")
    .requiredOption("--community <id>", "the community")
    .requiredOption("--owner <address>", "the meter's owner")
    .requiredOption("--kind <kind>", "producer, consumer, prosumer or storage")
    .requiredOption("--capacity-w <W>", "rated power in W")
    .requiredOption("--device-key <address>", "the key the device signs its readings with")
    .option("--days <n>", "days the certificate stays valid", "30")
    .option("--out <file>", "write the certificate JSON to a file")
    .action(run(true, meterCmd.certify as never));
  meter
    .command("register")
    .description("register your meter with the certificate JSON your registrar gave you ('-' for stdin)")
    .argument("<file>")
    .option("--dry-run", "check and simulate only")
    .action(run(true, meterCmd.register as never));
  program
    .command("keeper")
    .description(
      "run the settlement keeper: claims unfilled makers, settles sellers with their makers and refunds (settleSale)",
    )
    .option("--interval <s>", "seconds between cycles", "5")
    .option("--port <n>", "port of /health and /metrics (0: any free port)", "9479")
    .option("--host <h>", "address to listen on", "127.0.0.1")
    .option("--max-claims <n>", "orders per claim (or settlement) transaction", "40")
    .option("--max-buyers <n>", "buyers refunded in a market's last settlement transaction", "40")
    .option("--max-sellers <n>", "deprecated, ignored (the keeper settles through settleSale)")
    .option("--once", "run one cycle, print what it did, and exit")
    .addOption(new Option("--log-level <level>", "pino log level").default("info").env("LOG_LEVEL"))
    .action(run(true, keeper as never));
  for (const c of program.commands) c.exitOverride().showHelpAfterError("(run with --help for usage)");
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === "commander.helpDisplayed" || err.code === "commander.version" || err.exitCode === 0)
        return EXIT.ok;
      return EXIT.usage; // commander already printed the message
    }
    const { code, message } = classify(err);
    process.stderr.write(`error: ${message}\n`);
    if (code === EXIT.internal && process.env.POWERSHARE_DEBUG && err instanceof Error)
      process.stderr.write(`${err.stack}\n`);
    return code;
  }
}
