/**
 * A fake chat model for tests that emits tool calls: each call answers what `script` returns for the
 * conversation so far (so a script can read the tool results it was sent). Built on @langchain/core's
 * BaseChatModel like its own fakes (FakeListChatModel answers text only). Records every conversation
 * it was sent and the tools bound to it; `hangMs` makes it wait (until aborted) before answering.
 */
import { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { AIMessage, ToolMessage, type BaseMessage } from "@langchain/core/messages";
import type { ChatResult } from "@langchain/core/outputs";

export type Script = (messages: BaseMessage[], call: number) => AIMessage;

export class ScriptedToolModel extends BaseChatModel {
  readonly conversations: BaseMessage[][] = [];
  boundTools: string[] = [];
  aborted = 0;
  readonly #script: Script;
  readonly #hangMs: number;

  constructor(script: Script, hangMs = 0) {
    super({});
    this.#script = script;
    this.#hangMs = hangMs;
  }

  _llmType(): string {
    return "scripted-tool-model";
  }

  override bindTools(tools: { name?: string }[]) {
    this.boundTools = tools.map((t) => t.name ?? "?");
    return this;
  }

  async _generate(messages: BaseMessage[], options: this["ParsedCallOptions"]): Promise<ChatResult> {
    this.conversations.push([...messages]);
    if (this.#hangMs > 0)
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(resolve, this.#hangMs);
        options.signal?.addEventListener("abort", () => {
          clearTimeout(t);
          this.aborted += 1;
          reject(new Error("aborted"));
        });
      });
    const message = this.#script(messages, this.conversations.length - 1);
    return { generations: [{ text: typeof message.content === "string" ? message.content : "", message }] };
  }
}

/** An assistant turn that calls tools. */
export const calls = (...c: { name: string; args: Record<string, unknown> }[]) =>
  new AIMessage({
    content: "",
    tool_calls: c.map((x, i) => ({
      ...x,
      id: `call_${Math.random().toString(36).slice(2)}_${i}`,
      type: "tool_call" as const,
    })),
  });

/** The JSON a tool answered in the conversation, the last time it was called. */
export function toolResult<T = unknown>(messages: BaseMessage[], name: string): T | undefined {
  const m = [...messages]
    .reverse()
    .find((x): x is ToolMessage => x instanceof ToolMessage && x.name === name);
  return m ? (JSON.parse(m.content as string) as T) : undefined;
}
