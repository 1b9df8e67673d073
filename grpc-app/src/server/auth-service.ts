import { status } from "@grpc/grpc-js";
import { decoyHash, verifyPassword } from "../auth/password-hash.ts";
import type { TokenIssuer } from "../auth/tokens.ts";
import type { AuthServiceServer } from "../gen/chat/v1/chat.ts";
import type { Logger } from "../log/logger.ts";
import type { ChatStore } from "../store/chat-store.ts";
import { statusOf } from "./call-errors.ts";
import { Credentials, parseField } from "./requests.ts";

/** Login: checks the password against its stored scrypt hash and returns a signed token. */
export function createAuthService(deps: {
  store: ChatStore;
  tokens: TokenIssuer;
  logger: Logger;
}): AuthServiceServer {
  const { store, tokens, logger } = deps;
  return {
    login(call, callback) {
      const attempt = async () => {
        const { username, password } = parseField(Credentials, call.request);
        const account = await store.findAccount(username);
        // Hash even for an unknown name, so timing does not tell which accounts exist.
        const matches = await verifyPassword(
          password,
          account?.passwordHash ?? (await decoyHash()),
        );
        if (account === undefined || !matches) {
          logger.info("login.refused", { username });
          return undefined;
        }
        logger.info("login.accepted", { username });
        return tokens.issue(username);
      };
      attempt().then(
        (issued) => {
          if (issued === undefined) {
            callback({ code: status.UNAUTHENTICATED, details: "wrong username or password" });
            return;
          }
          callback(null, issued);
        },
        (error: unknown) => {
          callback(statusOf(error, logger, "Login"));
        },
      );
    },
  };
}
