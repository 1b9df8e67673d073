import type { IncomingMessage } from "node:http";
import type { z } from "zod";

/** Every JSON body this server accepts (login, a note) fits well inside this. */
export const maxBodyBytes = 16 * 1024;

/** The request body was not what the route accepts; `status` is the HTTP answer. */
export class BadRequestBodyError extends Error {
  override readonly name = "BadRequestBodyError";
  readonly status: 400 | 413 | 415;
  constructor(status: 400 | 413 | 415, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.status = status;
  }
}

/**
 * Reads a JSON body of at most `maxBodyBytes` and parses it with `schema`. Stops reading as
 * soon as the limit is passed, so a huge body costs this server no more than the limit.
 */
export async function readJsonBody<T>(
  request: IncomingMessage,
  schema: z.ZodType<T>,
  limit = maxBodyBytes,
): Promise<T> {
  const type = request.headers["content-type"] ?? "";
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    throw new BadRequestBodyError(415, "send application/json");
  }
  if (Number(request.headers["content-length"] ?? 0) > limit) {
    throw new BadRequestBodyError(413, `body over ${limit} bytes`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > limit) throw new BadRequestBodyError(413, `body over ${limit} bytes`);
    chunks.push(buffer);
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch (cause) {
    throw new BadRequestBodyError(400, "body is not JSON", { cause });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join(".") || "body";
    throw new BadRequestBodyError(400, `${where}: ${issue?.message ?? "invalid"}`);
  }
  return parsed.data;
}
