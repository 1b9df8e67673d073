/** Bounds every AWS call (the SDK waits forever by default) and lets the SDK retry twice. */
export function awsClientConfig(timeoutMs: number) {
  return {
    maxAttempts: 3,
    requestHandler: { connectionTimeout: timeoutMs, requestTimeout: timeoutMs },
  };
}
