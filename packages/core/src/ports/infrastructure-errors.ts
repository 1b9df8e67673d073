/**
 * A failure worth retrying as it is: throttling (429), a server error (5xx), a timeout or a
 * dropped connection. Adapters throw it so that core can back off, and a handler lets the last
 * one escape so that Lambda retries the event and finally parks it in the DLQ.
 */
export class TransientError extends Error {
  override readonly name = "TransientError";
  /** What was being done, such as `patch chat/chat-server`. */
  readonly operation: string;
  constructor(operation: string, options?: ErrorOptions) {
    super(`${operation} failed transiently`, options);
    this.operation = operation;
  }
}

/**
 * An optimistic-concurrency precondition failed (HTTP 409): the object changed since it was
 * read. Retry from the read, never with the same request.
 */
export class ConflictError extends Error {
  override readonly name = "ConflictError";
  readonly operation: string;
  constructor(operation: string, options?: ErrorOptions) {
    super(`${operation} conflicted with a concurrent change`, options);
    this.operation = operation;
  }
}

/**
 * The other side refused for a reason a retry cannot fix: the object is missing (404), the
 * identity may not do it (401/403), or the request is invalid (400/422).
 */
export class RefusedError extends Error {
  override readonly name = "RefusedError";
  readonly operation: string;
  readonly status: number;
  constructor(operation: string, status: number, options?: ErrorOptions) {
    super(`${operation} was refused (HTTP ${status})`, options);
    this.operation = operation;
    this.status = status;
  }
}
