import { z } from "zod";
import { InvalidArgumentError } from "./call-errors.ts";

/** Room names: short, URL-safe, so they fit logs, metrics and a NOTIFY payload. */
export const Room = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "room must be 1-64 of A-Z a-z 0-9 . _ -");

export const Credentials = z.object({
  username: z.string().min(1, "username is required").max(64),
  password: z.string().min(1, "password is required").max(1024),
});

/** UTF-8 needs at most 4 bytes a character; zod's max counts characters. */
const maxBytesPerChar = 4;
/** Tags, lengths and the gRPC frame around the fields: a few bytes, rounded up generously. */
const framingBytes = 64;

/**
 * The largest request any rpc accepts, in bytes: a note (room and text at their limits) or
 * a login (username and password at theirs), plus framing. The server's receive limit, so a
 * 4 MiB message (grpc-js's default) for a 1-4 KiB field is refused before it is buffered.
 */
export function maxRequestBytes(maxTextBytes: number): number {
  const note = 64 + maxTextBytes;
  const login = (64 + 1024) * maxBytesPerChar;
  return Math.max(note, login) + framingBytes;
}

/** Parses a request field with zod, turning a failure into INVALID_ARGUMENT with zod's message. */
export function parseField<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new InvalidArgumentError(parsed.error.issues.map((issue) => issue.message).join("; "));
  }
  return parsed.data;
}

/** Checks a note's text against the byte limit (UTF-8, as it is stored and sent). */
export function checkText(text: string, maxBytes: number): string {
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes === 0) throw new InvalidArgumentError("text is empty");
  if (bytes > maxBytes) {
    throw new InvalidArgumentError(`text is ${bytes} bytes; the limit is ${maxBytes}`);
  }
  return text;
}
