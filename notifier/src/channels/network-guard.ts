/**
 * Server-side request forgery guard for webhook URLs: http(s) only, no credentials, and (unless the
 * operator allows it) no host that is or resolves to a loopback, private, link-local, CGNAT,
 * multicast or otherwise reserved address. The same check runs in the socket's DNS lookup at
 * delivery time, so a name re-pointed to an internal address after registration is refused too.
 */
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { BlockList, isIP } from "node:net";

const blocked = new BlockList();
for (const [net, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.88.99.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const)
  blocked.addSubnet(net, prefix, "ipv4");
for (const [net, prefix] of [
  ["::", 128],
  ["::1", 128],
  ["64:ff9b::", 96],
  ["100::", 64],
  ["2001:db8::", 32],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
] as const)
  blocked.addSubnet(net, prefix, "ipv6");

/** True for an address no webhook may reach by default. */
export function isForbiddenAddress(ip: string): boolean {
  const family = isIP(ip);
  if (family === 4) return blocked.check(ip, "ipv4");
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
    if (mapped) return blocked.check(mapped[1]!, "ipv4");
    return blocked.check(ip, "ipv6");
  }
  return true;
}

export class UrlRefused extends Error {}

export interface GuardOptions {
  allowPrivate: boolean;
  resolve?: (host: string) => Promise<string[]>;
}

const defaultResolve = (host: string): Promise<string[]> =>
  new Promise((res, rej) =>
    dnsLookup(host, { all: true }, (err, addrs: LookupAddress[]) =>
      err ? rej(err) : res(addrs.map((a) => a.address)),
    ),
  );

/** Checks a webhook URL someone wants to register; returns its normalised form or throws a sentence. */
export async function checkWebhookUrl(input: unknown, opts: GuardOptions): Promise<string> {
  if (typeof input !== "string" || input.trim() === "")
    throw new UrlRefused("the webhook URL must be a non-empty string");
  if (input.length > 2048) throw new UrlRefused("the webhook URL is longer than 2048 characters");
  let u: URL;
  try {
    u = new URL(input);
  } catch {
    throw new UrlRefused(`"${input}" is not a valid URL`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:")
    throw new UrlRefused(`webhook URLs must use http or https, not ${u.protocol.replace(":", "")}`);
  if (u.username || u.password) throw new UrlRefused("webhook URLs may not carry a user name or password");
  if (u.hash) throw new UrlRefused("webhook URLs may not have a #fragment");
  if (opts.allowPrivate) return u.toString();
  const host = u.hostname.replace(/^\[|\]$/g, "");
  let ips: string[];
  if (isIP(host)) ips = [host];
  else {
    try {
      ips = await (opts.resolve ?? defaultResolve)(host);
    } catch {
      throw new UrlRefused(`the webhook host ${host} does not resolve`);
    }
  }
  const bad = ips.find(isForbiddenAddress);
  if (bad)
    throw new UrlRefused(
      `the webhook host ${host} resolves to ${bad}, a private, loopback or reserved address, which webhooks may not reach`,
    );
  return u.toString();
}

/** A `lookup` for http.request that refuses forbidden addresses when the socket connects. */
export function guardedLookup(allowPrivate: boolean) {
  return (
    hostname: string,
    options: object,
    callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    dnsLookup(hostname, { ...options, all: true }, (err, addrs: LookupAddress[]) => {
      if (err) return callback(err, []);
      const ok = allowPrivate ? addrs : addrs.filter((a) => !isForbiddenAddress(a.address));
      if (ok.length === 0) {
        const e: NodeJS.ErrnoException = new Error(
          `${hostname} resolves only to private or reserved addresses`,
        );
        e.code = "EFORBIDDENADDR";
        return callback(e, []);
      }
      if ((options as { all?: boolean }).all) return callback(null, ok);
      callback(null, ok[0]!.address, ok[0]!.family);
    });
  };
}
