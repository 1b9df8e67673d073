import { verify } from "@octokit/webhooks-methods";
import type { VerifiedDelivery } from "@slipway/core";
import { z } from "zod";
import {
  InvalidSignatureError,
  MalformedDeliveryError,
  PayloadTooLargeError,
} from "./webhook-errors.ts";

/** An HTTP request as a Lambda Function URL hands it over. */
export type WebhookRequest = {
  headers: Readonly<Record<string, string | undefined>>;
  body?: string | undefined;
  isBase64Encoded: boolean;
};

export type WebhookOptions = {
  /** The webhook's shared secret (an sst.Secret in production). */
  secret: string;
  /** Bodies above this size are refused before any work is done on them. */
  maxBodyBytes: number;
};

/**
 * The headers GitHub puts on every delivery that Slipway reads.
 * @see https://docs.github.com/en/webhooks/webhook-events-and-payloads#delivery-headers
 */
export const DeliveryHeaders = z.object({
  "x-github-event": z.string().regex(/^[a-z_]{1,64}$/),
  "x-github-delivery": z.string().regex(/^[A-Za-z0-9-]{1,64}$/),
});

/**
 * Checks size, then the HMAC over the exact raw body, and only then reads headers and JSON.
 * The comparison is constant-time (@octokit/webhooks-methods uses crypto.timingSafeEqual).
 * Throws PayloadTooLargeError, InvalidSignatureError or MalformedDeliveryError.
 */
export async function readWebhookDelivery(
  request: WebhookRequest,
  options: WebhookOptions,
): Promise<VerifiedDelivery> {
  const headers = lowercaseKeys(request.headers);
  const body = rawBody(request, options.maxBodyBytes);
  const signature = headers["x-hub-signature-256"];
  if (signature === undefined || signature === "") throw new InvalidSignatureError("missing");
  // An empty body cannot be what GitHub signed; the library also refuses to verify one.
  if (body === "" || !(await verify(options.secret, body, signature))) {
    throw new InvalidSignatureError("mismatch");
  }
  const delivery = DeliveryHeaders.safeParse(headers);
  if (!delivery.success) {
    throw new MalformedDeliveryError("X-GitHub-Event or X-GitHub-Delivery is missing or malformed");
  }
  let payload: unknown;
  try {
    payload = JSON.parse(body);
  } catch (error) {
    throw new MalformedDeliveryError(
      "the body is not JSON; set the webhook's content type to application/json",
      { cause: error },
    );
  }
  return {
    id: delivery.data["x-github-delivery"],
    event: delivery.data["x-github-event"],
    payload,
  };
}

/**
 * The body as the UTF-8 text GitHub signed. GitHub sends JSON as UTF-8, so decoding is
 * lossless, and the string that is verified is the very string that is parsed.
 */
function rawBody(request: WebhookRequest, maxBodyBytes: number): string {
  const body = request.body ?? "";
  if (!request.isBase64Encoded) {
    if (Buffer.byteLength(body, "utf8") > maxBodyBytes)
      throw new PayloadTooLargeError(maxBodyBytes);
    return body;
  }
  // Refuse by encoded length first, so an oversized body is never decoded.
  if (body.length > Math.ceil(maxBodyBytes / 3) * 4) throw new PayloadTooLargeError(maxBodyBytes);
  const bytes = Buffer.from(body, "base64");
  if (bytes.length > maxBodyBytes) throw new PayloadTooLargeError(maxBodyBytes);
  return bytes.toString("utf8");
}

function lowercaseKeys(headers: WebhookRequest["headers"]): Record<string, string | undefined> {
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]),
  );
}
