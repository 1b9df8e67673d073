import { Metadata, type ServerUnaryCall, status } from "@grpc/grpc-js";
import { bearerToken } from "../auth/auth-interceptor.ts";
import { addressKey, clientAddress, peerHost } from "../auth/client-address.ts";
import type { HashSlots } from "../auth/hash-slots.ts";
import type { LoginLimits } from "../auth/login-limits.ts";
import { decoyHash, verifyPassword } from "../auth/password-hash.ts";
import { newRefreshToken, newSessionId, RefreshToken } from "../auth/refresh-tokens.ts";
import type { TokenIssuer } from "../auth/tokens.ts";
import type { AuthServiceServer, LoginResponse } from "../gen/chat/v1/chat.ts";
import type { Logger } from "../log/logger.ts";
import type { ChatStore, SessionRotation } from "../store/chat-store.ts";
import { type CallStatus, statusOf } from "./call-errors.ts";
import { Credentials, parseField } from "./requests.ts";

/** Trailing metadata of a refused login: seconds to wait, and why (the web client maps it). */
export const retryAfterKey = "retry-after";
export const refusalKey = "slipway-refusal";
export type LoginRefusal = "rate-limited" | "busy";

type RefreshOutcome =
  | Exclude<SessionRotation, { kind: "rotated" }>
  | { kind: "refreshed"; issued: LoginResponse };

type LoginOutcome =
  | { kind: "signed-in"; issued: LoginResponse }
  | { kind: "rejected" }
  | { kind: "limited"; retryAfterMs: number }
  | { kind: "busy" };

/**
 * Login (limits, then the password against its stored scrypt hash, then a session),
 * RefreshSession (spends a refresh token once) and Logout (revokes on every replica).
 */
export function createAuthService(deps: {
  store: ChatStore;
  tokens: TokenIssuer;
  limits: LoginLimits;
  hashing: HashSlots;
  trustedProxyHops: number;
  /** How long a refresh token may wait to be spent; each refresh starts it again. */
  refreshTtlSeconds: number;
  /** How soon a second spend of a just-renewed token is a race, not a replay. */
  refreshReuseGraceMs: number;
  now: () => number;
  logger: Logger;
}): AuthServiceServer {
  const { store, tokens, limits, hashing, logger } = deps;
  const refreshExpiry = () => new Date(deps.now() + deps.refreshTtlSeconds * 1000);

  /** An access token and the session's next refresh token. */
  const issue = async (username: string, sessionId: string, refresh: { token: string }) => {
    const access = await tokens.issue(username, sessionId);
    return {
      token: access.token,
      expiresAt: access.expiresAt,
      refreshToken: refresh.token,
      refreshExpiresAt: refreshExpiry(),
    };
  };
  const startSession = async (username: string) => {
    const id = newSessionId();
    const refresh = newRefreshToken(id);
    await store.createSession({
      id,
      username,
      refreshHash: refresh.hash,
      expiresAt: refreshExpiry(),
    });
    return issue(username, id, refresh);
  };
  const addressOf = (call: ServerUnaryCall<unknown, unknown>) =>
    addressKey(
      clientAddress(
        peerHost(call.getPeer()),
        call.metadata.get("x-forwarded-for").map(String),
        deps.trustedProxyHops,
      ),
    );

  /** Whether the password is the account's, or busy when no hashing slot is free. */
  const checkPassword = async (username: string, password: string, address: string) => {
    const account = await store.findAccount(username);
    // Hash even for an unknown name, so timing does not tell which accounts exist.
    const hash = account?.passwordHash ?? (await decoyHash());
    // JSON keys: no username can pose as an address or the other way round.
    const owners = [JSON.stringify(["address", address]), JSON.stringify(["user", username])];
    const checked = await hashing.run(owners, () => verifyPassword(password, hash));
    if (checked.kind === "busy") return "busy";
    return account !== undefined && checked.value;
  };

  return {
    login(call, callback) {
      const attempt = async (): Promise<LoginOutcome> => {
        const { username, password } = parseField(Credentials, call.request);
        const address = addressOf(call);
        const admission = limits.admit(username, address);
        if (admission.kind === "limited") {
          logger.warn("login.limited", { username, address, limit: admission.limit });
          return { kind: "limited", retryAfterMs: admission.retryAfterMs };
        }
        const checked = await checkPassword(username, password, address).catch((error: unknown) => {
          limits.settle(username, address, "unchecked");
          throw error;
        });
        if (checked === "busy") {
          limits.settle(username, address, "unchecked");
          logger.warn("login.busy", { username, address, ...hashing.stats() });
          return { kind: "busy" };
        }
        if (!checked) {
          limits.settle(username, address, "failed");
          logger.info("login.refused", { username, address });
          return { kind: "rejected" };
        }
        limits.settle(username, address, "succeeded");
        logger.info("login.accepted", { username, address });
        return { kind: "signed-in", issued: await startSession(username) };
      };
      attempt().then(
        (outcome) => {
          if (outcome.kind === "signed-in") {
            callback(null, outcome.issued);
            return;
          }
          callback(loginRefusal(outcome));
        },
        (error: unknown) => {
          callback(statusOf(error, logger, "Login"));
        },
      );
    },

    refreshSession(call, callback) {
      const refresh = async (): Promise<RefreshOutcome> => {
        const presented = RefreshToken.safeParse(call.request.refreshToken);
        if (!presented.success) return { kind: "unknown" };
        const { sessionId, hash } = presented.data;
        const next = newRefreshToken(sessionId);
        const rotation = await store.rotateSession(
          sessionId,
          hash,
          { refreshHash: next.hash, expiresAt: refreshExpiry() },
          new Date(deps.now()),
          deps.refreshReuseGraceMs,
        );
        if (rotation.kind !== "rotated") {
          // A replay is the one sign that a refresh token was copied: say so loudly.
          const log = rotation.kind === "reused" ? logger.warn : logger.info;
          log("session.refresh.refused", { sessionId, reason: rotation.kind });
          return rotation;
        }
        logger.info("session.refreshed", { sessionId, username: rotation.username });
        return { kind: "refreshed", issued: await issue(rotation.username, sessionId, next) };
      };
      refresh().then(
        (outcome) => {
          switch (outcome.kind) {
            case "refreshed":
              callback(null, outcome.issued);
              return;
            case "superseded":
              // Its new tokens went to whoever spent it first (the same browser's cookies).
              callback({
                code: status.ABORTED,
                details: "refresh token just renewed; use the new one",
              });
              return;
            case "reused":
            case "unknown":
              callback({
                code: status.UNAUTHENTICATED,
                details: "refresh token not valid; log in",
              });
              return;
          }
        },
        (error: unknown) => {
          callback(statusOf(error, logger, "RefreshSession"));
        },
      );
    },

    logout(call, callback) {
      const logout = async () => {
        const bearer = bearerToken(call.metadata);
        const access = bearer === undefined ? undefined : await tokens.verify(bearer);
        const refresh = RefreshToken.safeParse(call.request.refreshToken);
        if (!access?.ok && !refresh.success) return false;
        const now = new Date(deps.now());
        if (access?.ok) {
          await store.revokeToken(access.jti, access.expiresAt);
          await store.endSession(access.sessionId, now);
          logger.info("session.ended", { sessionId: access.sessionId, username: access.username });
        }
        if (refresh.success) {
          // Only the session's current token may end it: a stale or forged one does nothing.
          await store.endSession(refresh.data.sessionId, now, refresh.data.hash);
        }
        return true;
      };
      logout().then(
        (done) => {
          if (!done) {
            callback({ code: status.UNAUTHENTICATED, details: "no valid token to log out" });
            return;
          }
          callback(null, {});
        },
        (error: unknown) => {
          callback(statusOf(error, logger, "Logout"));
        },
      );
    },
  };
}

/** The status of a login that got no token. */
function loginRefusal(
  outcome: Exclude<LoginOutcome, { kind: "signed-in" }>,
): CallStatus & { metadata?: Metadata } {
  switch (outcome.kind) {
    case "rejected":
      return { code: status.UNAUTHENTICATED, details: "wrong username or password" };
    case "limited": {
      const seconds = Math.max(1, Math.ceil(outcome.retryAfterMs / 1000));
      return {
        code: status.RESOURCE_EXHAUSTED,
        details: `too many login attempts; retry in ${seconds} s`,
        metadata: refusalTrailers("rate-limited", seconds),
      };
    }
    case "busy":
      return {
        code: status.RESOURCE_EXHAUSTED,
        details: "too many logins being checked; retry in 1 s",
        metadata: refusalTrailers("busy", 1),
      };
  }
}

function refusalTrailers(refusal: LoginRefusal, retryAfterSeconds: number): Metadata {
  const metadata = new Metadata();
  metadata.set(retryAfterKey, String(retryAfterSeconds));
  metadata.set(refusalKey, refusal);
  return metadata;
}
