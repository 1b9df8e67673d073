/**
 * C0 and C1 control characters (except newline and tab, which the formatter itself writes)
 * and the bidirectional overrides: from a commit title or a pin reason they could move the
 * cursor, rewrite the screen (ESC and CSI sequences) or reorder what the operator reads.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding them is this file's one job.
const unsafe = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** Text for a terminal: each unsafe character shown as its `\u` escape, never obeyed. */
export function printable(text: string): string {
  return text.replace(unsafe, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
