import { isIP } from "node:net";

/**
 * The address a login is counted against. `hops` is how many proxies in front of this server
 * append to `X-Forwarded-For` (the ALB; the web client in front of the chat server): each
 * appends the address it saw, so only the right-most `hops` entries were written by someone we
 * trust, and the entry `hops` from the right is the client. Everything left of it is whatever
 * the client sent. With 0, or without the header, it is the connection's peer.
 * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/application/x-forwarded-headers.html
 */
export function clientAddress(peer: string, forwardedFor: readonly string[], hops: number): string {
  const chain = forwardedFor
    .flatMap((header) => header.split(","))
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  const forwarded = hops > 0 ? chain[chain.length - hops] : undefined;
  return forwarded !== undefined && isIP(forwarded) !== 0 ? forwarded : peer;
}

/** The host of a grpc-js peer string (`127.0.0.1:5000`, `::1:5000`, `unknown`). */
export function peerHost(peer: string): string {
  const colon = peer.lastIndexOf(":");
  const host = colon > 0 ? peer.slice(0, colon) : peer;
  return host.replace(/^\[(.*)\]$/, "$1");
}

/**
 * What the login limits count an address as: IPv4 as is (also when IPv4-mapped,
 * `::ffff:10.0.0.1`); IPv6 by its /64, because one subscriber usually holds a whole /64 and
 * could otherwise take a fresh address per guess.
 */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1] !== undefined) return mapped[1];
  if (isIP(address) !== 6) return address;
  const [head = "", tail = ""] = address.toLowerCase().split("::");
  const left = head === "" ? [] : head.split(":");
  const right = address.includes("::") && tail !== "" ? tail.split(":") : [];
  const groups = [...left, ...Array(8 - left.length - right.length).fill("0"), ...right];
  return `${groups
    .slice(0, 4)
    .map((group) => Number.parseInt(group, 16).toString(16))
    .join(":")}::/64`;
}
