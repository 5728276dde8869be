"use client";
/**
 * Settings → Notifications: Sign in with Ethereum to the notifier, then contacts (email, phone),
 * the low-balance threshold, which events go to which channels, webhooks (the secret is shown once)
 * and the recent deliveries with their status. Every refusal of the notifier is shown as its
 * sentence. Renders nothing when the server has no notifier.
 */
import { useEffect, useId, useState, type FormEvent } from "react";
import {
  useAddWebhook,
  useDeliveries,
  useNotifierMeta,
  useNotifierPreferences,
  useRemoveWebhook,
  useSavePreferences,
} from "@/hooks/useNotifier";
import { useNotifierSession } from "@/hooks/useNotifierSession";
import {
  CHANNEL_LABELS,
  EVENT_LABELS,
  type NewWebhook,
  type NotifierPreferences,
  type NotifierSession,
  type PreferencesChange,
} from "@/lib/notifier-api";

const short = (a: string) => `${a.slice(0, 6)}…${a.slice(-4)}`;
const time = (ms: number) => new Date(ms).toLocaleString();

export function NotificationsSettings() {
  const s = useNotifierSession();
  if (!s.base) return null;
  return (
    <section className="panel" id="notifications" aria-labelledby="notifications-h" style={{ marginTop: 16 }}>
      <h2 id="notifications-h">Notifications</h2>
      {!s.address ? (
        <p className="hint">
          Connect a wallet to choose how PowerShare tells you about fills, settlements and proposals.
        </p>
      ) : !s.session ? (
        <>
          <p className="hint">
            Your notification settings belong to your address. Sign a message with your wallet to prove it is
            yours (Sign-In with Ethereum; no transaction, no fee).
          </p>
          <button
            className="btn"
            data-testid="notifier-sign-in"
            disabled={s.pending}
            onClick={() => void s.signIn()}
          >
            {s.pending ? "Waiting for your wallet…" : "Sign in with Ethereum"}
          </button>
          {s.error && (
            <p className="error" role="alert" data-testid="notifier-error">
              {s.error}
            </p>
          )}
        </>
      ) : (
        <SignedIn base={s.base} session={s.session} onSignOut={() => void s.signOut()} />
      )}
    </section>
  );
}

function SignedIn({
  base,
  session,
  onSignOut,
}: {
  base: string;
  session: NotifierSession;
  onSignOut: () => void;
}) {
  const prefs = useNotifierPreferences(base, session);
  return (
    <>
      <p className="row" style={{ gap: 8 }}>
        <span className="hint" data-testid="notifier-signed-in">
          Signed in as <span className="mono">{short(session.address)}</span> until {time(session.expiresAt)}.
        </span>
        <button className="btn btn-secondary btn-small" onClick={onSignOut}>
          Sign out
        </button>
      </p>
      {prefs.error && (
        <p className="error" role="alert">
          {prefs.error.message}
        </p>
      )}
      {prefs.data && (
        <>
          <PreferencesForm base={base} session={session} prefs={prefs.data} />
          <Webhooks base={base} session={session} prefs={prefs.data} />
        </>
      )}
      <Deliveries base={base} session={session} />
    </>
  );
}

/** Subscriptions the form shows: an event type left out goes to every channel (the notifier's default). */
function effective(prefs: NotifierPreferences, types: string[], channels: string[]) {
  return Object.fromEntries(types.map((t) => [t, prefs.subscriptions[t] ?? channels]));
}

function PreferencesForm({
  base,
  session,
  prefs,
}: {
  base: string;
  session: NotifierSession;
  prefs: NotifierPreferences;
}) {
  const id = useId();
  const meta = useNotifierMeta(base);
  const save = useSavePreferences(base, session);
  const types = meta.data?.eventTypes ?? [];
  const channels = meta.data?.channels ?? [];
  const [email, setEmail] = useState(prefs.email ?? "");
  const [phone, setPhone] = useState(prefs.phone ?? "");
  const [threshold, setThreshold] = useState(prefs.lowBalanceThreshold ?? "");
  const [matrix, setMatrix] = useState<Record<string, string[]>>({});
  const [changed, setChanged] = useState<Set<string>>(new Set());
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    if (types.length) setMatrix(effective(prefs, types, channels));
    // Reset the matrix when the notifier's view changes (after a save) or its event types load.
  }, [prefs, types.length, channels.length]);

  const toggle = (type: string, channel: string, on: boolean) => {
    setSaved(false);
    setMatrix((m) => {
      const cur = new Set(m[type] ?? []);
      if (on) cur.add(channel);
      else cur.delete(channel);
      return { ...m, [type]: channels.filter((c) => cur.has(c)) };
    });
    setChanged((c) => new Set(c).add(type));
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSaved(false);
    const change: PreferencesChange = {
      email: email.trim() === "" ? null : email.trim(),
      phone: phone.trim() === "" ? null : phone.trim(),
      lowBalanceThreshold: threshold.trim() === "" ? null : threshold.trim(),
    };
    if (changed.size)
      change.subscriptions = Object.fromEntries([...changed].map((t) => [t, matrix[t] ?? []]));
    save.mutate(change, {
      onSuccess: () => {
        setChanged(new Set());
        setSaved(true);
      },
    });
  };
  return (
    <form onSubmit={submit} aria-label="Notification preferences" data-testid="notifier-preferences">
      <div className="grid cols-3">
        <div className="field">
          <label htmlFor={`${id}-email`}>Email</label>
          <input
            id={`${id}-email`}
            type="text"
            inputMode="email"
            autoComplete="email"
            placeholder="you@example.org"
            value={email}
            onChange={(e) => (setEmail(e.target.value), setSaved(false))}
          />
        </div>
        <div className="field">
          <label htmlFor={`${id}-phone`}>Phone for SMS (international form)</label>
          <input
            id={`${id}-phone`}
            type="tel"
            autoComplete="tel"
            placeholder="+4915112345678"
            value={phone}
            onChange={(e) => (setPhone(e.target.value), setSaved(false))}
          />
        </div>
        <div className="field">
          <label htmlFor={`${id}-low`}>Warn me when my free balance is below (USDC)</label>
          <input
            id={`${id}-low`}
            type="text"
            inputMode="decimal"
            placeholder="off"
            value={threshold}
            onChange={(e) => (setThreshold(e.target.value), setSaved(false))}
          />
        </div>
      </div>
      {types.length > 0 && (
        <div className="table-wrap">
          <table data-testid="notifier-matrix">
            <caption className="hint" style={{ textAlign: "left" }}>
              Which events reach you on which channel. A channel you have not set up (no email address, no
              webhook) delivers nothing.
            </caption>
            <thead>
              <tr>
                <th scope="col">Event</th>
                {channels.map((c) => (
                  <th scope="col" key={c}>
                    {CHANNEL_LABELS[c] ?? c}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {types.map((t) => (
                <tr key={t}>
                  <th scope="row" style={{ textAlign: "left", fontWeight: 400 }}>
                    {EVENT_LABELS[t] ?? t}
                  </th>
                  {channels.map((c) => (
                    <td key={c} style={{ textAlign: "center" }}>
                      <input
                        type="checkbox"
                        style={{ width: "auto" }}
                        aria-label={`${EVENT_LABELS[t] ?? t} by ${CHANNEL_LABELS[c] ?? c}`}
                        checked={(matrix[t] ?? []).includes(c)}
                        onChange={(e) => toggle(t, c, e.target.checked)}
                      />
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {save.error && (
        <p className="error" role="alert" data-testid="notifier-error">
          {save.error.message}
        </p>
      )}
      <p className="row" style={{ gap: 8 }}>
        <button type="submit" className="btn" disabled={save.isPending} data-testid="notifier-save">
          {save.isPending ? "Saving…" : "Save notification settings"}
        </button>
        {saved && (
          <span className="hint" role="status" data-testid="notifier-saved">
            Saved.
          </span>
        )}
      </p>
    </form>
  );
}

function Webhooks({
  base,
  session,
  prefs,
}: {
  base: string;
  session: NotifierSession;
  prefs: NotifierPreferences;
}) {
  const id = useId();
  const add = useAddWebhook(base, session);
  const remove = useRemoveWebhook(base, session);
  const [url, setUrl] = useState("");
  const [created, setCreated] = useState<NewWebhook | undefined>();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setCreated(undefined);
    add.mutate(url.trim(), {
      onSuccess: (w) => {
        setCreated(w);
        setUrl("");
      },
    });
  };
  return (
    <div style={{ marginTop: 16 }}>
      <h3>Webhooks</h3>
      <p className="hint">
        Each event is POSTed as JSON, signed with HMAC-SHA256 (header <code>x-powershare-signature</code>).
      </p>
      {prefs.webhooks.length > 0 && (
        <ul data-testid="webhooks" style={{ paddingLeft: 18 }}>
          {prefs.webhooks.map((w) => (
            <li key={w.id} data-testid="webhook">
              <span className="mono">{w.url}</span> <span className="hint">added {time(w.createdAt)}</span>{" "}
              <button
                className="btn btn-danger btn-small"
                disabled={remove.isPending}
                onClick={() => remove.mutate(w.id)}
                aria-label={`Remove webhook ${w.url}`}
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
      {remove.error && (
        <p className="error" role="alert">
          {remove.error.message}
        </p>
      )}
      <form onSubmit={submit} className="input-row" aria-label="Add a webhook">
        <label htmlFor={`${id}-url`} className="sr-only">
          Webhook URL
        </label>
        <input
          id={`${id}-url`}
          type="text"
          inputMode="url"
          placeholder="https://example.org/powershare-hook"
          value={url}
          onChange={(e) => setUrl(e.target.value)}
        />
        <button
          type="submit"
          className="btn"
          disabled={add.isPending || url.trim() === ""}
          data-testid="webhook-add"
        >
          Add
        </button>
      </form>
      {add.error && (
        <p className="error" role="alert" data-testid="webhook-error">
          {add.error.message}
        </p>
      )}
      {created && (
        <div className="why" role="status" data-testid="webhook-secret">
          Webhook added. Its signing secret is shown only this once — copy it now:
          <div className="mono" style={{ wordBreak: "break-all", margin: "6px 0" }}>
            {created.secret}
          </div>
          <button className="btn btn-secondary btn-small" onClick={() => setCreated(undefined)}>
            I have copied it
          </button>
        </div>
      )}
    </div>
  );
}

const STATUS_CLASS: Record<string, string> = { sent: "bid", failed: "ask" };

function Deliveries({ base, session }: { base: string; session: NotifierSession }) {
  const d = useDeliveries(base, session);
  return (
    <div style={{ marginTop: 16 }}>
      <h3>Recent deliveries</h3>
      {d.error && (
        <p className="error" role="alert">
          {d.error.message}
        </p>
      )}
      {d.data && d.data.length === 0 && <p className="hint">Nothing has been sent to you yet.</p>}
      {d.data && d.data.length > 0 && (
        <div className="table-wrap">
          <table data-testid="deliveries">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Event</th>
                <th scope="col">Channel</th>
                <th scope="col">To</th>
                <th scope="col">Status</th>
                <th scope="col">Attempts</th>
              </tr>
            </thead>
            <tbody>
              {d.data.map((x) => (
                <tr key={x.id} data-testid="delivery">
                  <td>{time(x.createdAt)}</td>
                  <td>{EVENT_LABELS[x.eventType] ?? x.eventType}</td>
                  <td>{CHANNEL_LABELS[x.channel] ?? x.channel}</td>
                  <td className="mono" style={{ wordBreak: "break-all" }}>
                    {x.target}
                  </td>
                  <td>
                    <span className={STATUS_CLASS[x.status] ?? ""} data-testid="delivery-status">
                      {x.status}
                    </span>
                    {x.lastError && <div className="hint">{x.lastError}</div>}
                  </td>
                  <td className="num">{x.attempts}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
