import { type StatusObject, status } from "@grpc/grpc-js";
import type { Logger } from "../log/logger.ts";
import { StoreUnavailableError } from "../store/chat-store.ts";

/** A status to end a call with: the `{ code, details }` shape grpc-js sends as is. */
export type CallStatus = Pick<StatusObject, "code" | "details">;

/** Invalid input the client can fix; its message is safe to send back. */
export class InvalidArgumentError extends Error {
  override name = "InvalidArgumentError";
}

/**
 * The one mapping from a thrown error to what the client sees. Unexpected errors are logged
 * here and reach the client only as a generic INTERNAL, never with their message.
 */
export function statusOf(error: unknown, logger: Logger, method: string): CallStatus {
  if (error instanceof InvalidArgumentError) {
    return { code: status.INVALID_ARGUMENT, details: error.message };
  }
  if (error instanceof StoreUnavailableError) {
    logger.warn("store.unavailable", { method, error });
    return { code: status.UNAVAILABLE, details: "store unavailable, retry" };
  }
  logger.error("call.failed", { method, error });
  return { code: status.INTERNAL, details: "internal error" };
}
