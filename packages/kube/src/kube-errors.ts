import { ConflictError, RefusedError, TransientError } from "@slipway/core";

/** Node's (net, http2) and undici's names for a connection that failed or broke mid-request. */
const networkCodes = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "UND_ERR_CLOSED",
  // node:http2, the deployer's connection: a stream reset (REFUSED_STREAM when the server
  // sheds load), a session that broke or was told GOAWAY while a request was on it.
  "ERR_HTTP2_STREAM_ERROR",
  "ERR_HTTP2_SESSION_ERROR",
  "ERR_HTTP2_STREAM_CANCEL",
  "ERR_HTTP2_GOAWAY_SESSION",
  "ERR_HTTP2_INVALID_SESSION",
]);

/**
 * Turns what the deployer's connection and @kubernetes/client-node throw into core's errors, so that no vendor error
 * reaches core: 409 → ConflictError; 408, 429 and 5xx, timeouts and broken connections →
 * TransientError; other HTTP statuses → RefusedError. Anything else (a bug) passes unchanged.
 */
export function translateKubeError(operation: string, error: unknown): unknown {
  const status = httpStatus(error);
  if (status !== undefined) {
    if (status === 409) return new ConflictError(operation, { cause: error });
    if (status === 408 || status === 429 || status >= 500) {
      return new TransientError(`${operation} (HTTP ${status})`, { cause: error });
    }
    return new RefusedError(operation, status, { cause: error });
  }
  if (isNetworkFailure(error)) return new TransientError(operation, { cause: error });
  return error;
}

/** Runs one API call and translates its failure. */
export async function kubeCall<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw translateKubeError(operation, error);
  }
}

function httpStatus(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  // client-node's ApiException carries `code`; KubeApiError and client-node's Watch error carry `statusCode`.
  const { code, statusCode } = error as { code?: unknown; statusCode?: unknown };
  if (typeof code === "number" && code >= 100 && code < 600) return code;
  if (typeof statusCode === "number") return statusCode;
  return undefined;
}

function isNetworkFailure(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e.name === "TimeoutError" || e.name === "AbortError") return true;
    if (e instanceof TypeError && e.message === "fetch failed") return true;
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && networkCodes.has(code)) return true;
  }
  return false;
}
