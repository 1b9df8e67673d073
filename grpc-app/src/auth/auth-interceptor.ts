import {
  type Metadata,
  ServerInterceptingCall,
  type ServerInterceptingCallInterface,
  type ServerInterceptor,
  status,
} from "@grpc/grpc-js";
import type { Logger } from "../log/logger.ts";
import type { TokenIssuer } from "./tokens.ts";

// The interceptor writes the verified username here for the handlers. `set` replaces any value a
// client sent under the same key, so a caller cannot claim a name.
const verifiedUserKey = "x-slipway-verified-user";

/** The username the auth interceptor verified for this call. */
export function verifiedUser(metadata: Metadata): string | undefined {
  const value = metadata.get(verifiedUserKey)[0];
  return typeof value === "string" ? value : undefined;
}

function bearerToken(metadata: Metadata): string | undefined {
  const header = metadata.get("authorization")[0];
  if (typeof header !== "string") return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match?.[1];
}

/**
 * A server interceptor that checks the bearer token on every call whose path starts with one
 * of `protectedPrefixes`, and ends the call with UNAUTHENTICATED before any handler runs when
 * the token is missing, invalid or expired.
 */
export function createAuthInterceptor(
  tokens: TokenIssuer,
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
            tokens.verify(token).then(
              (check) => {
                if (!check.ok) {
                  refuse(check.reason === "expired" ? "token expired" : "invalid token");
                  return;
                }
                metadata.set(verifiedUserKey, check.username);
                forward(metadata);
              },
              () => refuse("invalid token"),
            );
          },
        });
      },
    });
  };
}
