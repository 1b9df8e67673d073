/**
 * What the web client needs from the chat server: the port the HTTP routes call. The gRPC
 * adapter implements it (grpc-chat-gateway.ts); tests may pass a double.
 */
export type WebNote = {
  readonly id: number;
  readonly room: string;
  readonly author: string;
  readonly text: string;
  /** ISO 8601, as the page formats it in the reader's time zone. */
  readonly sentAt: string;
};

/** An access token with the refresh token that renews it. */
export type SessionTokens = {
  token: string;
  expiresAt: Date;
  refreshToken: string;
  refreshExpiresAt: Date;
};

export type LoginOutcome =
  | ({ kind: "signed-in" } & SessionTokens)
  | { kind: "rejected" }
  /** Too many logins for this name or from this address: the page waits, then retries. */
  | { kind: "limited"; retryAfterSeconds: number }
  /** The chat server is checking as many passwords as it can: retry shortly. */
  | { kind: "busy"; retryAfterSeconds: number };

export type RefreshOutcome =
  | ({ kind: "refreshed" } & SessionTokens)
  | { kind: "rejected" }
  /** Another request (a second tab) renewed this token a moment ago; its cookies are newer. */
  | { kind: "superseded" };

export type SendOutcome =
  | { kind: "sent"; id: number }
  | { kind: "unauthenticated" }
  | { kind: "invalid"; message: string };

/** Why a note stream ended; the caller decides whether the browser should come back. */
export type StreamEnd =
  | { kind: "unauthenticated" }
  | { kind: "invalid"; message: string }
  | { kind: "interrupted"; detail: string };

export type NoteHandlers = {
  note(note: WebNote): void;
  end(reason: StreamEnd): void;
};

/** A running note stream. `pause` applies backpressure all the way to the chat server. */
export type NoteSubscription = {
  pause(): void;
  resume(): void;
  cancel(): void;
};

export type ChatGateway = {
  /** `clientAddress` is the browser's, forwarded so the chat server limits by it. */
  login(username: string, password: string, clientAddress: string): Promise<LoginOutcome>;
  /** Spends the refresh token for new tokens; a spent or ended one is rejected. */
  refresh(refreshToken: string): Promise<RefreshOutcome>;
  /** Revokes the access token and ends the session on the chat server, for every replica. */
  logout(tokens: { token?: string; refreshToken?: string }): Promise<void>;
  sendNote(token: string, room: string, text: string): Promise<SendOutcome>;
  /** Replays the room's notes after `afterId`, then follows live ones, until cancelled. */
  streamNotes(
    token: string,
    room: string,
    afterId: number,
    handlers: NoteHandlers,
  ): NoteSubscription;
  /** Whether the chat server answers SERVING within `timeoutMs`. */
  isServing(timeoutMs: number): Promise<boolean>;
  close(): void;
};

/** The chat server could not be reached or failed; the page may retry later. */
export class ChatUnavailableError extends Error {
  override readonly name = "ChatUnavailableError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
