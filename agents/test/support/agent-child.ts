/**
 * A child process running one agent cycle, to be killed with SIGKILL by the test (agent-kill.test.ts).
 * AGENT_SETUP: the encoded setup; AGENT_STORE: "sqlite:<file>" or "postgres:<schema>" (DATABASE_URL);
 * AGENT_HANG: "before-send" (act starts, prints ACT, waits forever without sending) or "after-send"
 * (the transaction is mined, prints SENT, waits forever before act can checkpoint).
 */
import { openCheckpointer } from "../../src/graph/checkpointer.ts";
import { TradingAgent } from "../../src/agent.ts";
import { agentDeps, decodeSetup } from "./agent-setup.ts";

const setup = decodeSetup(process.env.AGENT_SETUP!);
const store = process.env.AGENT_STORE!;
const hang = process.env.AGENT_HANG!;
const c = store.startsWith("sqlite:")
  ? await openCheckpointer({ sqlitePath: store.slice("sqlite:".length) })
  : await openCheckpointer({
      databaseUrl: process.env.DATABASE_URL,
      schema: store.slice("postgres:".length),
    });
const deps = agentDeps(setup);
const execute = deps.io.execute.bind(deps.io);
const forever = () => new Promise<never>(() => setInterval(() => undefined, 1 << 30));
deps.io.execute = async (cancel, place) => {
  if (hang === "before-send") {
    process.stdout.write(`ACT ${place.length}\n`);
    return forever();
  }
  const r = await execute(cancel, place);
  process.stdout.write(`SENT ${place.length}\n`);
  return forever();
};
await new TradingAgent(deps, c.saver).cycle();
process.stdout.write("FINISHED\n"); // never reached: the test kills the process first
