/** The oracle as a child process (`src/main.ts`), with its JSON log lines observable by the test. */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { EXTERNAL_MQTT_URL } from "../helpers.ts";
import { oraclePrivateKey, type Stack } from "./chain.ts";

export interface OracleProcess {
  child: ChildProcess;
  /** Every log line parsed so far (this process only). */
  lines: Record<string, unknown>[];
  /** Resolves at the first log line with this event (already seen ones count). */
  waitFor(event: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** What the chain tests' oracle processes have in common. */
export interface ChainOracleSetup {
  /** The test file's name, for MQTT client ids. */
  test: string;
  stack: Pick<Stack, "market" | "settlement">;
  /** Each oracle's data directory is `<dataRoot>/<name>`. */
  dataRoot: string;
  graceSeconds: number;
  reportWindowSeconds: number;
  /** Receives each MQTT client id, so that the test can drop its broker session afterwards. */
  sessions: string[];
}

/**
 * The environment of one oracle process against a test chain: the oracle account's key, the
 * external broker when MQTT_URL is set (otherwise each oracle runs its embedded one). No
 * SLOT_SECONDS: the oracle must take the communities' slot length from the chain (its default,
 * 900 s, would put every reading in the wrong slot). `extra` adds or overrides variables
 * (BROKER_PORT, gas budget, …).
 */
export function chainOracleEnv(
  setup: ChainOracleSetup,
  name: string,
  rpcUrl: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  const clientId = `oracle-${setup.test}-${name}-${process.pid}-${Date.now()}`;
  setup.sessions.push(clientId);
  return {
    RPC_URL: rpcUrl,
    MARKET_ADDRESS: setup.stack.market,
    SETTLEMENT_ADDRESS: setup.stack.settlement,
    ORACLE_PRIVATE_KEY: oraclePrivateKey(),
    DATA_DIR: join(setup.dataRoot, name),
    HTTP_PORT: "0",
    GRACE_SECONDS: String(setup.graceSeconds),
    MAX_WAIT_SECONDS: "300",
    REPORT_WINDOW_SECONDS: String(setup.reportWindowSeconds),
    TICK_MS: "250",
    VERIFY_WORKERS: "1",
    MQTT_CLIENT_ID: clientId,
    ...(EXTERNAL_MQTT_URL ? { MQTT_URL: EXTERNAL_MQTT_URL } : {}),
    ...extra,
  };
}

export const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) =>
    child.exitCode !== null || child.signalCode !== null ? resolve() : child.once("exit", () => resolve()),
  );

export function startOracleProcess(env: Record<string, string>): Promise<OracleProcess> {
  const child = spawn(process.execPath, ["src/main.ts"], {
    cwd: join(import.meta.dirname, "..", ".."),
    env: { ...process.env, LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines: Record<string, unknown>[] = [];
  const waiters: { event: string; resolve: (l: Record<string, unknown>) => void }[] = [];
  let buf = "";
  child.stdout!.on("data", (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const text = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(text) as Record<string, unknown>;
      } catch {
        continue;
      }
      lines.push(line);
      for (const w of waiters.splice(0)) {
        if (w.event === line.event) w.resolve(line);
        else waiters.push(w);
      }
    }
  });
  const proc: OracleProcess = {
    child,
    lines,
    waitFor(event, timeoutMs = 60_000) {
      const seen = lines.find((l) => l.event === event);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`timed out waiting for oracle log ${event}`)),
          timeoutMs,
        );
        const onExit = () => reject(new Error(`oracle exited before logging ${event}`));
        child.once("exit", onExit);
        waiters.push({
          event,
          resolve: (l) => {
            clearTimeout(timer);
            child.off("exit", onExit);
            resolve(l);
          },
        });
      });
    },
    async kill(signal = "SIGTERM") {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = exited(child);
      child.kill(signal);
      await gone;
    },
  };
  return proc.waitFor("oracle_started").then(() => proc);
}
