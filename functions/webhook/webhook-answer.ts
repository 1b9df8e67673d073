import type { DeliveryOutcome } from "@slipway/core";
import {
  InvalidSignatureError,
  MalformedDeliveryError,
  PayloadTooLargeError,
} from "@slipway/github";
import type { LambdaFunctionURLResult } from "aws-lambda";
import { z } from "zod";

/** What the webhook answers, and the label its log line and metric carry. */
export type WebhookAnswer = {
  statusCode: number;
  response: LambdaFunctionURLResult;
  /** Low-cardinality name of what happened, for the `Outcome` metric dimension. */
  outcome: string;
  /** Whether this answer means something is broken on our side. */
  failed: boolean;
};

const answer = (
  statusCode: number,
  outcome: string,
  body: object,
  failed = false,
): WebhookAnswer => ({
  statusCode,
  response: {
    statusCode,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  },
  outcome,
  failed,
});

/**
 * The one mapping from a delivery's outcome, or the error that ended it, to the HTTP answer.
 * GitHub shows the body in the delivery log, so it says why, and never echoes the payload.
 */
export function webhookAnswer(result: DeliveryOutcome | Error): WebhookAnswer {
  if (result instanceof PayloadTooLargeError) {
    return answer(413, "too-large", { error: "payload-too-large", message: result.message });
  }
  if (result instanceof InvalidSignatureError) {
    return answer(401, "unauthorized", { error: "invalid-signature", message: result.message });
  }
  if (result instanceof MalformedDeliveryError || result instanceof z.ZodError) {
    return answer(400, "malformed", {
      error: "malformed-request",
      message: "the request is not a GitHub delivery",
    });
  }
  if (result instanceof Error) {
    // A redelivery is safe (deliveries are idempotent), so say so.
    return answer(
      500,
      "error",
      { error: "internal", message: "could not process the delivery; redeliver it" },
      true,
    );
  }
  switch (result.kind) {
    case "pong":
      return answer(200, "pong", { message: "pong" });
    case "rejected":
      return answer(400, "malformed", { error: result.reason, message: result.detail });
    case "skipped":
      return answer(202, "skipped", { skipped: result.reason });
    case "duplicate":
      return answer(202, "duplicate", { duplicate: true, buildId: result.buildId ?? null });
    case "accepted":
      return answer(202, "accepted", {
        buildId: result.buildId,
        stage: result.stage,
        sequence: result.sequence,
        githubReport: result.githubReport,
        superseded: result.superseded,
      });
  }
}
