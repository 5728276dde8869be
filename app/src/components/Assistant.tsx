"use client";
/**
 * The AI Assistant page on the agents service: ask the assistant (answers from market data; the
 * LLM when the service has one), the market analysis per community, what an agent would do for the
 * connected account's meters (nothing is sent), the agents' status, and — signed in with Ethereum —
 * run one's own agents now and read their history. Every refusal is the service's sentence.
 */
import { useId, useState, type FormEvent } from "react";
import {
  useAgentsAccount,
  useAgentsStatus,
  useAssistantChat,
  useMarketAnalysis,
  useRecommendations,
} from "@/hooks/useAgents";
import { useAppConfig } from "@/hooks/useAppConfig";
import { hhmm, tickPrice, type PlannedOrder } from "@/lib/agents-api";

const kwh = (wh: number | string) =>
  (Number(wh) / 1000).toLocaleString(undefined, { maximumFractionDigits: 3 });
const order = (p: PlannedOrder) =>
  `${p.side} ${kwh(p.amountWh)} kWh at ${tickPrice(p.tick)} for ${hhmm(p.slotStart)} UTC`;

export function Assistant() {
  const base = useAppConfig().agentsUrl;
  if (!base)
    return (
      <p className="panel hint" data-testid="assistant-off">
        The AI assistant is not available on this server: no agents service is configured (AGENTS_URL).
      </p>
    );
  return (
    <div className="grid cols-2">
      <Chat />
      <MyAgents />
      <Analysis />
      <Status />
    </div>
  );
}

function Chat() {
  const id = useId();
  const base = useAppConfig().agentsUrl;
  const acct = useAgentsAccount();
  const chat = useAssistantChat(base, acct.address);
  const [q, setQ] = useState("");
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (q.trim()) chat.mutate(q.trim());
  };
  return (
    <section className="panel" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>Ask the assistant</h2>
      <form onSubmit={submit}>
        <div className="field">
          <label htmlFor={`${id}-q`}>Your question</label>
          <textarea
            id={`${id}-q`}
            rows={3}
            maxLength={2000}
            placeholder="Should I sell my solar surplus this afternoon?"
            value={q}
            onChange={(e) => setQ(e.target.value)}
          />
        </div>
        <button
          className="btn"
          type="submit"
          disabled={chat.isPending || !q.trim()}
          data-testid="assistant-ask"
        >
          {chat.isPending ? "Thinking…" : "Ask"}
        </button>
      </form>
      {chat.error && (
        <p className="error" role="alert" data-testid="assistant-error">
          {chat.error.message}
        </p>
      )}
      {chat.data && (
        <div role="status" data-testid="assistant-answer" style={{ marginTop: 10 }}>
          <p style={{ whiteSpace: "pre-line" }}>{chat.data.answer}</p>
          <p className="hint">
            {chat.data.source === "llm"
              ? "Answered by the language model from these facts:"
              : "From the market data:"}
          </p>
          <ul className="hint">
            {chat.data.facts.map((f) => (
              <li key={f}>{f}</li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}

function MyAgents() {
  const a = useAgentsAccount();
  const rec = useRecommendations(a.base, a.address);
  return (
    <section className="panel" aria-labelledby="my-agents-h">
      <h2 id="my-agents-h">Your meters</h2>
      {!a.address ? (
        <p className="hint">Connect a wallet to see what an agent would do for your meters.</p>
      ) : (
        <>
          {rec.error && (
            <p className="why" data-testid="recommendations-error">
              {rec.error.message}
            </p>
          )}
          {rec.data?.map((r) => (
            <div key={r.meterId} data-testid="recommendation">
              <h3>
                Meter #{r.meterId} · community {r.communityId}
              </h3>
              {r.wouldPlace.length ? (
                <ul>
                  {r.wouldPlace.map((p, i) => (
                    <li key={i}>
                      Would {order(p)}
                      {p.reason ? ` — ${p.reason}` : ""}
                    </li>
                  ))}
                </ul>
              ) : (
                <p className="hint">An agent would not trade now.</p>
              )}
              {r.refused.length > 0 && (
                <ul className="hint" data-testid="recommendation-refused">
                  {r.refused.map((x, i) => (
                    <li key={i}>
                      Refused by the risk limits: {order(x.intent)} — {x.reason}
                    </li>
                  ))}
                </ul>
              )}
              {r.notes.length > 0 && (
                <ul className="hint">
                  {r.notes.map((n, i) => (
                    <li key={i}>{n}</li>
                  ))}
                </ul>
              )}
            </div>
          ))}
          <h3>Your agents</h3>
          {!a.session ? (
            <>
              <p className="hint">
                Running your agents and reading their history needs a signature (no transaction).
              </p>
              <button
                className="btn"
                data-testid="agents-sign-in"
                disabled={a.signing}
                onClick={() => void a.signIn()}
              >
                {a.signing ? "Waiting for your wallet…" : "Sign in with Ethereum"}
              </button>
              {a.error && (
                <p className="error" role="alert" data-testid="agents-error">
                  {a.error}
                </p>
              )}
            </>
          ) : (
            <>
              <p className="row" style={{ gap: 8 }}>
                <button
                  className="btn"
                  data-testid="agents-process"
                  disabled={a.process.isPending}
                  onClick={() => a.process.mutate()}
                >
                  {a.process.isPending ? "Running…" : "Run my agents now"}
                </button>
                <button
                  className="btn btn-secondary"
                  data-testid="agents-history"
                  disabled={a.history.isPending}
                  onClick={() => a.history.mutate()}
                >
                  Show their history
                </button>
              </p>
              {(a.process.error ?? a.history.error) && (
                <p className="error" role="alert" data-testid="agents-error">
                  {(a.process.error ?? a.history.error)!.message}
                </p>
              )}
              {a.process.data?.map((r) => (
                <div key={r.agentId} data-testid="agents-result">
                  <strong>{r.agentId}</strong>:{" "}
                  {r.plan?.place?.length ? r.plan.place.map(order).join("; ") : "nothing to place"}
                  {r.refused.length > 0 && ` (${r.refused.length} refused by the limits)`}
                  {r.notes?.length ? <div className="hint">{r.notes.join(" ")}</div> : null}
                </div>
              ))}
              {a.history.data && (
                <ul data-testid="agents-history-list">
                  {a.history.data.length === 0 && <li className="hint">No cycles yet.</li>}
                  {a.history.data.map((h, i) => (
                    <li key={i}>
                      {h.createdAt ? new Date(h.createdAt).toLocaleString() : "—"} · {h.agentId}:{" "}
                      {h.plan?.place?.length ? h.plan.place.map(order).join("; ") : "no orders"}
                      {h.refused.length > 0 && ` (${h.refused.length} refused)`}
                    </li>
                  ))}
                </ul>
              )}
            </>
          )}
        </>
      )}
    </section>
  );
}

function Analysis() {
  const base = useAppConfig().agentsUrl;
  const a = useMarketAnalysis(base);
  return (
    <section className="panel" aria-labelledby="analysis-h">
      <h2 id="analysis-h">Market analysis</h2>
      {a.error && <p className="error">{a.error.message}</p>}
      {a.data?.length === 0 && <p className="hint">No community has agents yet.</p>}
      {a.data?.map((c) => {
        const last = c.priceTrend.slots.at(-1);
        return (
          <div key={c.communityId} data-testid="analysis">
            <h3>Community {c.communityId}</h3>
            <p>
              Price {c.priceTrend.direction}
              {last ? `, last ${(last.vwapPerKwh / 1e6).toFixed(3)} USDC/kWh` : ""} · {c.trades} recent trades
              · {c.agents} agents
            </p>
            {c.expectedNetWhPerSlot.length > 0 && (
              <ul className="hint">
                {c.expectedNetWhPerSlot.slice(0, 6).map((s) => (
                  <li key={s.slotStart}>
                    {hhmm(s.slotStart)} UTC: expected {s.kind} of {kwh(Math.abs(s.netWh))} kWh
                  </li>
                ))}
              </ul>
            )}
          </div>
        );
      })}
    </section>
  );
}

function Status() {
  const base = useAppConfig().agentsUrl;
  const s = useAgentsStatus(base);
  return (
    <section className="panel" aria-labelledby="status-h">
      <h2 id="status-h">Agents running</h2>
      {s.error && <p className="error">{s.error.message}</p>}
      {s.data && (
        <div className="table-wrap">
          <table data-testid="agents-status">
            <thead>
              <tr>
                <th scope="col">Agent</th>
                <th scope="col">Meter</th>
                <th scope="col">Plans with</th>
                <th scope="col">Cycles</th>
                <th scope="col">Placed</th>
                <th scope="col">Refused</th>
              </tr>
            </thead>
            <tbody>
              {s.data.map((x) => (
                <tr key={x.agentId}>
                  <td className="mono">{x.agentId}</td>
                  <td>#{x.meterId}</td>
                  <td>{x.planner === "llm" ? "language model" : x.strategy}</td>
                  <td className="num">{x.cycles}</td>
                  <td className="num">{x.ordersPlaced}</td>
                  <td className="num">{x.intentsRefused}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
