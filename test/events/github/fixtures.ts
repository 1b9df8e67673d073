import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import type { LambdaFunctionURLEvent } from "aws-lambda";

/**
 * Real payloads copied from @octokit/webhooks-examples (api.github.com): push to a branch
 * (`push-branch`), a tag created and a tag deleted, ping, and an issue opened. Each call
 * returns a fresh copy, so tests derive bad variants with a plain change.
 */
export type GitHubFixture =
  | "push-branch"
  | "push-tag"
  | "push-tag-deleted"
  | "ping"
  | "issues-opened";

// biome-ignore lint/suspicious/noExplicitAny: fixtures are edited freely to derive bad variants
export function githubPayload(name: GitHubFixture): any {
  return JSON.parse(readFileSync(new URL(`./${name}.json`, import.meta.url), "utf8"));
}

/** `sha256=<hex>` exactly as GitHub computes X-Hub-Signature-256 over the raw body. */
export function signatureOf(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

export type DeliveryOptions = {
  event: string;
  deliveryId: string;
  /** The body as GitHub sends it; objects are serialised the way GitHub does (compact JSON). */
  body: string | Buffer | object;
  /** Signs the body with this secret; omit to send no signature header at all. */
  secret?: string;
  /** Overrides the computed signature (for forged requests). */
  signature?: string;
  base64?: boolean;
};

/**
 * A Lambda Function URL event carrying a GitHub delivery, built on a captured request
 * (lowercase headers, GitHub-Hookshot user agent) with the body and signature filled in.
 */
export function functionUrlDelivery(options: DeliveryOptions): LambdaFunctionURLEvent {
  const event: LambdaFunctionURLEvent = JSON.parse(
    readFileSync(new URL("./function-url-delivery.json", import.meta.url), "utf8"),
  );
  const raw =
    typeof options.body === "string" || Buffer.isBuffer(options.body)
      ? Buffer.from(options.body)
      : Buffer.from(JSON.stringify(options.body));
  const headers: Record<string, string> = {
    ...(event.headers as Record<string, string>),
    "content-length": String(raw.length),
    "x-github-event": options.event,
    "x-github-delivery": options.deliveryId,
  };
  delete headers["x-hub-signature"];
  delete headers["x-hub-signature-256"];
  const signature =
    options.signature ?? (options.secret ? signatureOf(options.secret, raw) : undefined);
  if (signature !== undefined) headers["x-hub-signature-256"] = signature;
  return {
    ...event,
    headers,
    body: options.base64 ? raw.toString("base64") : raw.toString("utf8"),
    isBase64Encoded: options.base64 === true,
  };
}
