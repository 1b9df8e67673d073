import type { WebNote } from "./chat-gateway.ts";

/**
 * Server-sent event frames. Each note's `id:` is its note id, so a browser that reconnects
 * sends it back as `Last-Event-ID`, and whichever replica it reaches resumes the gRPC stream
 * from there: the cursor lives in the browser, not in a server's memory.
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html
 */
export function noteEvent(note: WebNote): string {
  // JSON.stringify escapes line breaks, so the data stays on one `data:` line.
  return `id: ${note.id}\nevent: note\ndata: ${JSON.stringify(note)}\n\n`;
}

/** Tells the browser how long to wait before reconnecting, and opens the stream. */
export function streamPreamble(retryMs: number): string {
  return `retry: ${retryMs}\n: connected\n\n`;
}

/** A comment line; keeps idle proxies (the ALB closes after 60 s) from cutting the stream. */
export const keepAlive = ": keep-alive\n\n";

/** A named event with no id, so it leaves the browser's resume cursor alone. */
export function controlEvent(name: "session-expired" | "room-invalid", data: unknown = {}): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * The resume cursor from the browser: `Last-Event-ID` when it reconnects by itself, else
 * the `after` query parameter the page sets when it opens a stream. The larger wins.
 */
export function resumeCursor(lastEventId: string | undefined, after: string | null): number {
  return Math.max(cursor(lastEventId), cursor(after ?? undefined));
}

function cursor(value: string | undefined): number {
  if (value === undefined || !/^\d{1,15}$/.test(value.trim())) return 0;
  return Number(value.trim());
}
