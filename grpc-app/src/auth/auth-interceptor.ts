import {
  type Metadata,
  ServerInterceptingCall,
  type ServerInterceptingCallInterface,
  type ServerInterceptor,
  status,
} from "@grpc/grpc-js";
import type { Logger } from "../log/logger.ts";
import type { ChatStore, TokenRef } from "../store/chat-store.ts";
import { StoreUnavailableError } from "../store/chat-store.ts";
import type { TokenIssuer } from "./tokens.ts";

// The interceptor writes the verified username and token here for the handlers. `set` replaces
// any value a client sent under the same key, so a caller cannot claim a name.
const verifiedUserKey = "x-slipway-verified-user";
const verifiedJtiKey = "x-slipway-verified-jti";
const verifiedSessionKey = "x-slipway-verified-session";

/** The username the auth interceptor verified for this call. */
export function verifiedUser(metadata: Metadata): string | undefined {
  const value = metadata.get(verifiedUserKey)[0];
  return typeof value === "string" ? value : undefined;
}

/** The access token the auth interceptor verified for this call, to re-check revocation. */
export function verifiedToken(metadata: Metadata): TokenRef | undefined {
  const [jti] = metadata.get(verifiedJtiKey);
  const [sessionId] = metadata.get(verifiedSessionKey);
  return typeof jti === "string" && typeof sessionId === "string" ? { jti, sessionId } : undefined;
}

/** The token of `authorization: Bearer <token>` metadata. */
export function bearerToken(metadata: Metadata): string | undefined {
  const header = metadata.get("authorization")[0];
  if (typeof header !== "string") return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match?.[1];
}

/**
 * A server interceptor that checks the bearer token on every call whose path starts with one
 * of `protectedPrefixes`, and ends the call with UNAUTHENTICATED before any handler runs when
 * the token is missing, invalid, expired or revoked (asked of the store on every call, so a
 * logout on one replica holds on all of them at once).
 */
export function createAuthInterceptor(
  tokens: TokenIssuer,
  revocations: Pick<ChatStore, "revokedAmong">,
  protectedPrefixes: string[],
  logger: Logger,
): ServerInterceptor {
  return (method, call: ServerInterceptingCallInterface) => {
    if (!protectedPrefixes.some((prefix) => method.path.startsWith(prefix))) {
      return new ServerInterceptingCall(call);
    }
    return new ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMetadata(metadata, forward) {
            const refuse = (details: string) => {
              logger.info("auth.refused", { method: method.path, reason: details });
              call.sendStatus({ code: status.UNAUTHENTICATED, details });
            };
            const token = bearerToken(metadata);
            if (token === undefined) {
              refuse("missing bearer token in authorization metadata");
              return;
            }
            const admit = async () => {
              const check = await tokens.verify(token);
              if (!check.ok) return check.reason === "expired" ? "token expired" : "invalid token";
              const revoked = await revocations.revokedAmong([check]);
              if (revoked.has(check.jti)) return "token revoked; log in again";
              metadata.set(verifiedUserKey, check.username);
              metadata.set(verifiedJtiKey, check.jti);
              metadata.set(verifiedSessionKey, check.sessionId);
              forward(metadata);
              return undefined;
            };
            admit().then(
              (refusal) => {
                if (refusal !== undefined) refuse(refusal);
              },
              (error: unknown) => {
                if (!(error instanceof StoreUnavailableError)) {
                  logger.error("auth.failed", { method: method.path, error });
                  call.sendStatus({ code: status.INTERNAL, details: "internal error" });
                  return;
                }
                logger.warn("store.unavailable", { method: method.path, error });
                call.sendStatus({ code: status.UNAVAILABLE, details: "store unavailable, retry" });
              },
            );
          },
        });
      },
    });
  };
}
