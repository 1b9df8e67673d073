import { createHash } from "node:crypto";
import { verify } from "@octokit/webhooks-methods";
import {
  type DeliveryRefusal,
  PushEvent,
  RefusalReason,
  type VerifiedDelivery,
} from "@slipway/core";
import * as z from "@slipway/core/zod";

/**
 * An HTTP request as a Lambda Function URL hands it over: only the parts a delivery needs.
 * @see https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html#urls-payloads
 */
export const WebhookRequest = z.object({
  headers: z.record(z.string(), z.optional(z.string())),
  body: z.optional(z.string()),
  isBase64Encoded: z.boolean(),
});
export type WebhookRequest = z.infer<typeof WebhookRequest>;

export type WebhookOptions = {
  /**
   * The shared secret (an sst.Secret in production): one GitHub App webhook for the
   * installation, or the secret of every repository without one of its own.
   */
  secret: string;
  /**
   * Secrets of their own, by repository id: such a repository's pushes must be signed with
   * its own secret (the shared one no longer signs for it), and its secret signs for no
   * other repository, so a leaked secret exposes one repository only.
   */
  repositorySecrets?: ReadonlyMap<number, string>;
  /** Bodies above this size are refused before any work is done on them. */
  maxBodyBytes: number;
};

/**
 * The headers GitHub puts on every delivery that Slipway reads.
 * @see https://docs.github.com/en/webhooks/webhook-events-and-payloads#delivery-headers
 */
export const DeliveryHeaders = z.object({
  "x-github-event": z.string().check(z.regex(/^[a-z_]{1,64}$/)),
  "x-github-delivery": z.string().check(z.regex(/^[A-Za-z0-9-]{1,64}$/)),
});

const refused = (
  reason: RefusalReason,
  detail: string,
  part?: DeliveryRefusal["part"],
): DeliveryRefusal => ({ kind: "refused", reason, detail, ...(part ? { part } : {}) });

/**
 * The webhook's edge, where a request is read once: size, then the HMAC over the exact raw
 * body, and only then headers, JSON and, for a push, the payload's schema. The comparison
 * is constant-time (@octokit/webhooks-methods uses crypto.timingSafeEqual). A request that
 * is not a delivery is a refusal (too large, bad signature, malformed), returned, not thrown.
 */
export async function readWebhookDelivery(
  request: unknown,
  options: WebhookOptions,
): Promise<VerifiedDelivery | DeliveryRefusal> {
  const shape = WebhookRequest.safeParse(request);
  if (!shape.success) {
    return refused(RefusalReason.malformed, "not a Function URL request", "request");
  }
  const headers = lowercaseKeys(shape.data.headers);
  const body = rawBody(shape.data, options.maxBodyBytes);
  if (body === undefined) {
    return refused(RefusalReason.tooLarge, `the body is larger than ${options.maxBodyBytes} bytes`);
  }
  const signature = headers["x-hub-signature-256"];
  if (signature === undefined || signature === "") {
    return refused(RefusalReason.badSignature, "no X-Hub-Signature-256 header");
  }
  // An empty body cannot be what GitHub signed; the library also refuses to verify one.
  const signer = body === "" ? undefined : await signedBy(body, signature, options);
  if (signer === undefined) {
    return refused(RefusalReason.badSignature, "X-Hub-Signature-256 does not match the body");
  }
  const delivery = DeliveryHeaders.safeParse(headers);
  if (!delivery.success) {
    return refused(
      RefusalReason.malformed,
      "X-GitHub-Event or X-GitHub-Delivery is missing or malformed",
      "request",
    );
  }
  const id = delivery.data["x-github-delivery"];
  const event = delivery.data["x-github-event"];
  // GitHub's other content type sends `payload=<url-encoded JSON>`: name the setting to change.
  if (/^application\/x-www-form-urlencoded\b/i.test(headers["content-type"] ?? "")) {
    return refused(
      RefusalReason.malformed,
      "the webhook's content type is application/x-www-form-urlencoded; set it to application/json in the hook's settings",
      "encoding",
    );
  }
  let payload: unknown;
  try {
    payload = JSON.parse(body);
  } catch {
    return refused(
      RefusalReason.malformed,
      "the body is not JSON; set the webhook's content type to application/json",
      "request",
    );
  }
  if (event === "ping") return { kind: "ping", id };
  if (event !== "push") return { kind: "other", id, event };
  const push = PushEvent.safeParse(payload);
  if (!push.success) {
    // Paths and messages only: the payload's values never reach the response or the logs.
    const detail = push.error.issues
      .slice(0, 5)
      .map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`)
      .join("; ");
    return refused(RefusalReason.malformed, detail, "payload");
  }
  const wrongSecret = secretMismatch(push.data.repository.id, signer, options);
  if (wrongSecret !== undefined) return refused(RefusalReason.foreignRepository, wrongSecret);
  // What a replay under a new delivery id cannot change: the signed bytes.
  const bodyDigest = createHash("sha256").update(body).digest("hex");
  return { kind: "push", id, push: push.data, bodyDigest };
}

/** Whose secret signed the body: the shared one, a repository's own (its id), or none. */
type Signer = { kind: "shared" } | { kind: "repository"; id: number };

/** Every secret is tried (each comparison is constant-time); the first that signed the body wins. */
async function signedBy(
  body: string,
  signature: string,
  options: WebhookOptions,
): Promise<Signer | undefined> {
  for (const [id, secret] of options.repositorySecrets ?? []) {
    if (await verify(secret, body, signature)) return { kind: "repository", id };
  }
  return (await verify(options.secret, body, signature)) ? { kind: "shared" } : undefined;
}

/** Why the secret that signed a push is not its repository's, or undefined when it is. */
function secretMismatch(
  repositoryId: number,
  signer: Signer,
  options: WebhookOptions,
): string | undefined {
  const ownSecret = options.repositorySecrets?.has(repositoryId) ?? false;
  if (signer.kind === "repository" && signer.id !== repositoryId) {
    return `signed with another repository's secret (id ${signer.id}), not that of repository id ${repositoryId}`;
  }
  if (signer.kind === "shared" && ownSecret) {
    return `repository id ${repositoryId} has a webhook secret of its own; this push was signed with the shared one`;
  }
  return undefined;
}

/**
 * The body as the UTF-8 text GitHub signed, or undefined when it is over the limit. GitHub
 * sends JSON as UTF-8, so decoding is lossless, and the string that is verified is the very
 * string that is parsed.
 */
function rawBody(request: WebhookRequest, maxBodyBytes: number): string | undefined {
  const body = request.body ?? "";
  if (!request.isBase64Encoded) {
    return Buffer.byteLength(body, "utf8") > maxBodyBytes ? undefined : body;
  }
  // Refuse by encoded length first, so an oversized body is never decoded.
  if (body.length > Math.ceil(maxBodyBytes / 3) * 4) return undefined;
  const bytes = Buffer.from(body, "base64");
  return bytes.length > maxBodyBytes ? undefined : bytes.toString("utf8");
}

function lowercaseKeys(headers: WebhookRequest["headers"]): Record<string, string | undefined> {
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]),
  );
}
