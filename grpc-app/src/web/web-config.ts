import { z } from "zod";

/** A `host:port` listen address; IPv6 hosts in brackets, as in `[::]:8080`. */
export const ListenAddress = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[^:[\]]+):(\d{1,5})$/, "expected host:port, e.g. 127.0.0.1:8080")
  .transform((address) => {
    const split = address.lastIndexOf(":");
    return {
      host: address.slice(0, split).replace(/^\[(.*)\]$/, "$1"),
      port: Number(address.slice(split + 1)),
    };
  })
  .refine((a) => a.port <= 65_535, "port must be at most 65535");
export type ListenAddress = z.infer<typeof ListenAddress>;

/** A room name as the page offers it: short, lower-case, URL-safe. */
export const RoomName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, "1-32 of a-z 0-9 _ -");
export type RoomName = z.infer<typeof RoomName>;

/**
 * The web client's settings, read once from the environment at start.
 * @example WEB_ADDRESS=0.0.0.0:8080 GRPC_TARGET=chat:50051 COOKIE_SECURE=true WEB_SESSION_SECRET=…
 */
export const WebConfig = z.object({
  /**
   * Where the page is served. Loopback by default so `npm start` exposes nothing;
   * the container sets `0.0.0.0:8080` for the load balancer.
   * @default "127.0.0.1:8080"
   */
  WEB_ADDRESS: ListenAddress.default({ host: "127.0.0.1", port: 8080 }),
  /**
   * The chat server, as a grpc-js target (`host:port`, `dns:///chat:50051`).
   * @default "127.0.0.1:50051"
   */
  GRPC_TARGET: z.string().min(1).default("127.0.0.1:50051"),
  /**
   * Mark the session cookie `Secure`. Turn on behind HTTPS; browsers drop Secure cookies
   * set over plain http://, so it defaults off for local use.
   * @default false
   */
  COOKIE_SECURE: z.stringbool().default(false),
  /**
   * Key for the CSRF tokens (an HMAC of the session). Every replica needs the same one, or a
   * page that lands on another replica must fetch a new token (the page does so once).
   * Unset, each process draws a random key and says so in its log.
   */
  WEB_SESSION_SECRET: z.string().min(32, "use at least 32 characters").optional(),
  /**
   * The rooms the picker offers first; users may still open any other room by name.
   * @default "general,random,deploys"
   */
  WEB_ROOMS: z
    .string()
    .default("general,random,deploys")
    .transform((list) =>
      list
        .split(",")
        .map((room) => room.trim())
        .filter((room) => room !== ""),
    )
    .pipe(z.array(RoomName).min(1)),
  /**
   * Proxies in front of the web client that append to X-Forwarded-For: 1 behind the ALB,
   * whose entry is the right-most (anything left of it is what the browser sent). 0 counts
   * logins by the TCP peer and ignores the header, which any client can write.
   * @default 0
   */
  WEB_TRUSTED_PROXY_HOPS: z.coerce.number().int().min(0).max(5).default(0),
  /**
   * How long /healthz waits for the chat server's health answer. Kubernetes probes time out
   * after 1 s by default, so the answer must come sooner.
   * @default 800
   */
  WEB_HEALTH_TIMEOUT_MS: z.coerce.number().int().min(50).max(10_000).default(800),
});
export type WebConfig = z.infer<typeof WebConfig>;

/** Reads the web client's settings; throws a ZodError naming every bad variable. */
export function loadWebConfig(env: Record<string, string | undefined> = process.env): WebConfig {
  // An empty variable means "unset", as the chat server's config reads it too.
  return WebConfig.parse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== "")));
}
