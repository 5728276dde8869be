/**
 * A running agent: its compiled graph on its own thread (`thread_id` = agent id) in a persistent
 * checkpointer. `cycle()` runs observe → … → remember once; if the previous run stopped before
 * `act` (an interrupt, or the process died there), the first cycle resumes it rather than
 * starting over, so an approved plan is sent exactly once.
 */
import type { BaseCheckpointSaver } from "@langchain/langgraph";
import { compileAgent, type AgentDeps, type AgentStateValue } from "./graph/agent-graph.ts";

export class TradingAgent {
  readonly id: string;
  readonly deps: AgentDeps;
  readonly graph: ReturnType<typeof compileAgent>;
  readonly #config: { configurable: { thread_id: string } };
  readonly #run: { configurable: { thread_id: string }; durability?: "sync" | "async" | "exit" };

  /**
   * `durability`: when the checkpointer writes (LangGraph's option; "async" after every node by
   * default, "exit" once when the run ends or is interrupted — the simulation's choice, see decision 0035).
   */
  constructor(
    deps: AgentDeps,
    checkpointer: BaseCheckpointSaver,
    opts: { interruptBefore?: "act"[]; durability?: "sync" | "async" | "exit" } = {},
  ) {
    this.id = deps.settings.agentId;
    this.deps = deps;
    this.graph = compileAgent(deps, checkpointer, { interruptBefore: opts.interruptBefore });
    this.#config = { configurable: { thread_id: this.id } };
    this.#run = opts.durability ? { ...this.#config, durability: opts.durability } : this.#config;
  }

  /** The nodes the thread will run next (empty when the last cycle finished). */
  async pending(): Promise<string[]> {
    const s = await this.graph.getState(this.#config);
    return [...(s.next ?? [])];
  }

  async state(): Promise<AgentStateValue | undefined> {
    const s = await this.graph.getState(this.#config);
    return (s.values as AgentStateValue | undefined) ?? undefined;
  }

  /** Finishes an interrupted run (if any). */
  async resume(): Promise<AgentStateValue | undefined> {
    if ((await this.pending()).length === 0) return undefined;
    return (await this.graph.invoke(null, this.#run)) as AgentStateValue;
  }

  /** One full cycle at chain time `now` (0: read it from the chain). */
  async cycle(now = 0): Promise<AgentStateValue> {
    const resumed = await this.resume();
    if (resumed && (await this.pending()).length > 0) return resumed;
    return (await this.graph.invoke({ now }, this.#run)) as AgentStateValue;
  }
}
