"use client";
import { energyMarketAbi, treasuryGovernorAbi } from "@powershare/contracts";
import Link from "next/link";
import { useId, useState } from "react";
import { isAddress, type Abi, type Address } from "viem";
import { useAccount, useConfig } from "wagmi";
import { useQuery } from "@tanstack/react-query";
import { signTypedData } from "viem/actions";
import { getConnectorClient } from "wagmi/actions";
import { useAppConfig } from "@/hooks/useAppConfig";
import { useIsMember } from "@/hooks/useChainState";
import { useCommunities, useCommunity, useIndexerBase } from "@/hooks/useIndexer";
import { useTx } from "@/hooks/useTx";
import { gql, type Items, type Proposal } from "@/lib/indexer";
import { readProposalSteps, StepNotOnRpcYet } from "@/lib/proposal-steps";
import { formatKwh, formatUsdc, parseUsdc, shortAddress } from "@/lib/units";

export function CommunitiesList() {
  const c = useCommunities();
  if (c.isError) return <p className="error">The indexer cannot be reached.</p>;
  if (!c.data) return <p className="muted">Loading communities…</p>;
  if (c.data.length === 0) return <p className="muted">No community yet.</p>;
  return (
    <div className="grid cols-3">
      {c.data.map((x) => (
        <Link
          key={x.id}
          href={`/communities/${x.id}`}
          className="panel"
          style={{ color: "inherit", textDecoration: "none" }}
        >
          <h2>{x.name}</h2>
          <dl className="kv">
            <dt>Members</dt>
            <dd>{x.members}</dd>
            <dt>Meters</dt>
            <dd>{x.meters}</dd>
            <dt>Slots</dt>
            <dd>{x.slotLength / 60} min</dd>
            <dt>Fee</dt>
            <dd>{x.feeBps / 100}%</dd>
            <dt>Traded</dt>
            <dd>{formatKwh(x.tradedWh, 1)} kWh</dd>
            <dt>Treasury</dt>
            <dd>{formatUsdc(x.treasuryBalance)} USDC</dd>
            <dt>Admission</dt>
            <dd>{x.admissionRequired ? "by approval" : "open"}</dd>
          </dl>
        </Link>
      ))}
    </div>
  );
}

const SUPPORT = [
  { v: 1, label: "For" },
  { v: 0, label: "Against" },
  { v: 2, label: "Abstain" },
] as const;

const utc = (s: string | bigint | null | undefined) =>
  s === null || s === undefined
    ? "—"
    : new Date(Number(s) * 1000).toISOString().slice(0, 16).replace("T", " ") + " UTC";
const SUPPORT_LABEL = ["Against", "For", "Abstain"];

/**
 * A proposal's life: proposed, each vote (indexer), the vote's close, queued with its eta and
 * executed — the queue and execute transactions' times and hashes read from the governor's logs.
 */
function ProposalTimeline({ p }: { p: Proposal }) {
  const cfg = useAppConfig();
  const base = useIndexerBase();
  const wagmiConfig = useConfig();
  const gov = cfg.contracts.governor;
  const votes = useQuery({
    queryKey: ["proposal-votes", p.id, p.forVotes + p.againstVotes + p.abstainVotes],
    queryFn: async () =>
      (
        await gql<Items<"votess", { voter: string; support: number; timestamp: string }>>(
          base,
          `query($p: BigInt!) { votess(where: { proposalId: $p }, orderBy: "timestamp", limit: 100) { items { voter support timestamp } } }`,
          { p: p.id },
        )
      ).votess.items,
  });
  const steps = useQuery({
    queryKey: ["proposal-steps", p.id, p.eta, p.executed],
    enabled: Boolean(gov && (p.eta || p.executed)),
    queryFn: () =>
      readProposalSteps(wagmiConfig.getClient({ chainId: cfg.chainId }), gov!, BigInt(p.id), [
        ...(p.eta ? (["ProposalQueued"] as const) : []),
        ...(p.executed ? (["ProposalExecuted"] as const) : []),
      ]),
    // The indexer may report a step a block before the wallet's RPC serves it: read again.
    retry: (failures, error) => failures < (error instanceof StepNotOnRpcYet ? 20 : 1),
    retryDelay: 500,
  });
  const queued = steps.data?.ProposalQueued;
  const executed = steps.data?.ProposalExecuted;
  const closed = p.state !== "Pending" && p.state !== "Active";
  const items: { key: string; done: boolean; title: string; at?: string | bigint | null; detail?: string }[] =
    [
      { key: "proposed", done: true, title: `Proposed by ${shortAddress(p.proposer)}`, at: p.createdAt },
      ...(votes.data ?? []).map((v) => ({
        key: `vote-${v.voter}`,
        done: true,
        title: `${shortAddress(v.voter)} voted ${SUPPORT_LABEL[v.support] ?? v.support}`,
        at: v.timestamp,
      })),
      {
        key: "closed",
        done: closed,
        title: closed ? `Vote closed: ${p.state === "Defeated" ? "defeated" : "passed"}` : "Vote closes",
        at: p.voteEnd,
        detail: `For ${p.forVotes}, Against ${p.againstVotes}, Abstain ${p.abstainVotes}; quorum ${p.quorum}`,
      },
    ];
  if (p.eta || p.state === "Succeeded")
    items.push({
      key: "queued",
      done: Boolean(p.eta),
      title: p.eta ? `Queued: executable from ${utc(p.eta)}` : "Queue (timelock starts)",
      at: queued?.at,
    });
  if (p.eta)
    items.push({
      key: "executed",
      done: p.executed,
      title: p.executed
        ? `Executed: ${formatUsdc(p.amount, 6)} USDC paid to ${shortAddress(p.to)}`
        : "Execute (pays the recipient)",
      at: executed?.at,
    });
  if (p.canceled) items.push({ key: "canceled", done: true, title: "Cancelled by the proposer" });
  return (
    <ol className="timeline" aria-label={`Timeline of proposal #${p.id}`} data-testid="proposal-timeline">
      {items.map((i) => (
        <li key={i.key} className={i.done ? "done" : "todo"} data-step={i.key}>
          <span aria-hidden="true">{i.done ? "●" : "○"}</span> {i.title}
          {i.at !== undefined && i.at !== null && <span className="muted"> · {utc(i.at)}</span>}
          {i.detail && <span className="muted"> · {i.detail}</span>}
        </li>
      ))}
    </ol>
  );
}

function ProposalRow({ p }: { p: Proposal }) {
  const cfg = useAppConfig();
  const { address } = useAccount();
  const wagmiConfig = useConfig();
  const tx = useTx();
  const gov = cfg.contracts.governor;
  const busy = tx.state.status === "signing" || tx.state.status === "pending";
  const run = (label: string, functionName: string, args: readonly unknown[]) =>
    gov && tx.run(label, { address: gov, abi: treasuryGovernorAbi as Abi, functionName, args });
  async function voteBySig(support: number) {
    if (!gov || !address) return;
    await tx.run("Vote by signature", async () => {
      const walletClient = await getConnectorClient(wagmiConfig, { chainId: cfg.chainId, account: address });
      const signature = await signTypedData(walletClient, {
        account: address,
        domain: {
          name: "PowerShare Treasury Governor",
          version: "1",
          chainId: cfg.chainId,
          verifyingContract: gov,
        },
        types: {
          Ballot: [
            { name: "proposalId", type: "uint256" },
            { name: "support", type: "uint8" },
            { name: "voter", type: "address" },
          ],
        },
        primaryType: "Ballot",
        message: { proposalId: BigInt(p.id), support, voter: address },
      });
      // Anyone may relay a signed ballot; here the voter's own wallet sends it.
      return {
        address: gov,
        abi: treasuryGovernorAbi as Abi,
        functionName: "castVoteBySig",
        args: [BigInt(p.id), support, address, signature],
      };
    });
  }
  const t = (s: string | null) =>
    s ? new Date(Number(s) * 1000).toISOString().slice(0, 16).replace("T", " ") : "—";
  return (
    <li className="panel" data-testid="proposal" style={{ listStyle: "none" }}>
      <div className="row">
        <strong>#{p.id}</strong> <span>{p.description}</span>
        <span className="spacer" />
        <span className="pill" data-testid="proposal-state">
          {p.state}
        </span>
      </div>
      <p className="hint">
        Pay {formatUsdc(p.amount, 6)} USDC to {shortAddress(p.to)} · proposed by {shortAddress(p.proposer)} ·
        voting {t(p.voteStart)} → {t(p.voteEnd)}
        {p.eta && ` · executable from ${t(p.eta)}`}
      </p>
      <p className="hint">
        For {p.forVotes} · Against {p.againstVotes} · Abstain {p.abstainVotes} · quorum {p.quorum}
      </p>
      <div className="row">
        {p.state === "Active" &&
          SUPPORT.map((s) => (
            <button
              key={s.v}
              className="btn btn-secondary btn-small"
              disabled={busy}
              onClick={() => run(`Vote ${s.label}`, "castVote", [BigInt(p.id), s.v])}
            >
              {s.label}
            </button>
          ))}
        {p.state === "Active" && (
          <button
            className="btn btn-small"
            disabled={busy}
            onClick={() => voteBySig(1)}
            data-testid="vote-sig"
          >
            For, by signature
          </button>
        )}
        {p.state === "Succeeded" && (
          <button
            className="btn btn-small"
            disabled={busy}
            onClick={() => run("Queue", "queue", [BigInt(p.id)])}
            data-testid="queue"
          >
            Queue
          </button>
        )}
        {p.state === "Queued" && (
          <button
            className="btn btn-small"
            disabled={busy}
            onClick={() => run("Execute", "execute", [BigInt(p.id)])}
            data-testid="execute"
          >
            Execute
          </button>
        )}
      </div>
      <details>
        <summary>Timeline</summary>
        <ProposalTimeline p={p} />
      </details>
      {tx.state.status === "failed" && (
        <p className="error" role="alert">
          {tx.state.error.message}
        </p>
      )}
    </li>
  );
}

function NewProposal({ communityId }: { communityId: number }) {
  const cfg = useAppConfig();
  const id = useId();
  const tx = useTx();
  const [to, setTo] = useState("");
  const [amount, setAmount] = useState("");
  const [desc, setDesc] = useState("");
  const a = parseUsdc(amount);
  const why =
    tx.blocker ??
    (!cfg.contracts.governor
      ? "No treasury governor is deployed"
      : !isAddress(to)
        ? "Enter the recipient's 0x address"
        : !a.ok
          ? a.reason
          : desc.trim() === ""
            ? "Describe what the money is for"
            : null);
  return (
    <form
      onSubmit={async (e) => {
        e.preventDefault();
        if (why || !a.ok) return;
        const r = await tx.run("Propose", {
          address: cfg.contracts.governor!,
          abi: treasuryGovernorAbi as Abi,
          functionName: "propose",
          args: [communityId, to as Address, a.value, desc.trim()],
        });
        if (r.status === "confirmed") (setDesc(""), setAmount(""));
      }}
      aria-label="New treasury proposal"
    >
      <div className="field">
        <label htmlFor={`${id}-to`}>Pay to</label>
        <input id={`${id}-to`} value={to} onChange={(e) => setTo(e.target.value)} placeholder="0x…" />
      </div>
      <div className="field">
        <label htmlFor={`${id}-amt`}>Amount (USDC)</label>
        <input
          id={`${id}-amt`}
          value={amount}
          onChange={(e) => setAmount(e.target.value)}
          inputMode="decimal"
        />
      </div>
      <div className="field">
        <label htmlFor={`${id}-d`}>What for</label>
        <input id={`${id}-d`} value={desc} onChange={(e) => setDesc(e.target.value)} />
      </div>
      {(to || amount || desc) && why && <p className="why">{why}</p>}
      <button className="btn" disabled={Boolean(why) || tx.state.status === "pending"} data-testid="propose">
        Propose
      </button>
      {tx.state.status === "failed" && (
        <p className="error" role="alert">
          {tx.state.error.message}
        </p>
      )}
    </form>
  );
}

export function CommunityDetail({ id }: { id: number }) {
  const cfg = useAppConfig();
  const q = useCommunity(id);
  const member = useIsMember(id);
  const join = useTx();
  if (q.isError) return <p className="error">Community #{id} could not be loaded from the indexer.</p>;
  if (!q.data) return <p className="muted">Loading…</p>;
  const { community: c, proposals, settled } = q.data;
  return (
    <div className="grid">
      <div className="row">
        <h1 style={{ margin: 0 }}>{c.name}</h1>
        <span className="spacer" />
        {member.data === false && (
          <button
            className="btn"
            disabled={Boolean(join.blocker) || join.state.status === "pending"}
            onClick={() =>
              join.run("Join community", {
                address: cfg.contracts.market,
                abi: energyMarketAbi as Abi,
                functionName: "join",
                args: [id],
              })
            }
          >
            {c.admissionRequired ? "Request admission" : "Join"}
          </button>
        )}
        {member.data === true && <span className="pill">You are a member</span>}
      </div>
      {join.state.status === "failed" && <p className="error">{join.state.error.message}</p>}
      <div className="grid cols-4">
        <div className="panel stat">
          <div className="label">Treasury</div>
          <div className="value">{formatUsdc(c.treasuryBalance)}</div>
          <div className="hint">
            USDC · fees in {formatUsdc(c.feesIn)} · paid out {formatUsdc(c.paidOut)}
          </div>
        </div>
        <div className="panel stat">
          <div className="label">Members</div>
          <div className="value">{c.members}</div>
        </div>
        <div className="panel stat">
          <div className="label">Delivered of sold</div>
          <div className="value">
            {BigInt(settled.soldWh) > 0n
              ? `${((Number(settled.deliveredWh) / Number(settled.soldWh)) * 100).toFixed(0)}%`
              : "—"}
          </div>
          <div className="hint">
            {formatKwh(settled.deliveredWh)} of {formatKwh(settled.soldWh)} kWh settled
          </div>
        </div>
        <div className="panel stat">
          <div className="label">Fee · band</div>
          <div className="value">{c.feeBps / 100}%</div>
          <div className="hint">price band ±{c.bandBps / 100}% of the reference</div>
        </div>
      </div>
      <div className="grid cols-2">
        <section className="panel" aria-labelledby="props-h">
          <h2 id="props-h">Treasury proposals</h2>
          {proposals.length === 0 ? (
            <p className="muted">No proposals yet.</p>
          ) : (
            <ul className="grid" style={{ padding: 0, margin: 0 }}>
              {proposals.map((p) => (
                <ProposalRow key={p.id} p={p} />
              ))}
            </ul>
          )}
        </section>
        <section className="panel" aria-labelledby="newprop-h">
          <h2 id="newprop-h">New proposal</h2>
          <p className="hint">
            Members vote; a proposal that reaches quorum is queued behind a timelock, then anyone executes it.
          </p>
          <NewProposal communityId={id} />
        </section>
      </div>
    </div>
  );
}
