import type { Logger } from "../log/logger.ts";
import type { ChatStore } from "../store/chat-store.ts";
import type { StreamRegistry } from "./stream-registry.ts";

/**
 * Ends open ChatStreams whose access token was revoked (a logout, on any replica, or a
 * replayed refresh token), within `intervalMs`: a stream checks its token when it opens, and
 * this asks the store about every open stream's token in one query per period. A store that
 * does not answer ends nothing; the next period asks again.
 */
export function startRevocationSweep(options: {
  streams: StreamRegistry;
  store: Pick<ChatStore, "revokedAmong">;
  intervalMs: number;
  logger: Logger;
}): { stop(): void } {
  const { streams, store, logger } = options;
  let sweeping = false;
  const sweep = async () => {
    const open = [...streams.tokens()];
    if (sweeping || open.length === 0) return;
    sweeping = true;
    try {
      const unique = new Map(open.map(([, token]) => [token.jti, token]));
      const revoked = await store.revokedAmong([...unique.values()]);
      for (const [stream, token] of open) {
        if (revoked.has(token.jti)) stream.stop({ kind: "revoked" });
      }
      if (revoked.size > 0) logger.info("streams.revoked", { tokens: revoked.size });
    } catch (error) {
      logger.warn("streams.revocation-check.failed", { error });
    } finally {
      sweeping = false;
    }
  };
  const timer = setInterval(() => void sweep(), options.intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
