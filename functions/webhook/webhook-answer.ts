import type { DeliveryOutcome, DeliveryRefusal, ServiceOutcome } from "@slipway/core";
import type { LambdaFunctionURLResult } from "aws-lambda";

/** What ended a delivery: an outcome (a refusal included), or an infrastructure failure. */
export type WebhookResult = DeliveryOutcome | { kind: "failed"; error: unknown };

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
 * The one mapping from how a delivery ended to the HTTP answer: one exhaustive switch.
 * GitHub shows the body in the delivery log, so it says why, and never echoes the payload.
 */
export function webhookAnswer(result: WebhookResult): WebhookAnswer {
  switch (result.kind) {
    case "refused":
      return refusalAnswer(result);
    case "failed":
      // A redelivery is safe (deliveries are idempotent), so say so.
      return answer(
        500,
        "error",
        { error: "internal", message: "could not process the delivery; redeliver it" },
        true,
      );
    case "pong":
      return answer(200, "pong", { message: "pong" });
    case "skipped":
      return answer(202, "skipped", { skipped: result.reason });
    case "duplicate":
      return answer(202, "duplicate", { duplicate: true, buildId: result.buildId ?? null });
    case "accepted":
      return answer(202, "accepted", acceptedBody(result));
    case "services": {
      // A monorepo push: one answer for all its services. Where every service refused, the
      // refusal is the answer; otherwise 202, with each service's outcome in the body.
      const refusals = result.outcomes.flatMap(({ outcome }) =>
        outcome.kind === "refused" ? [outcome] : [],
      );
      const [first] = refusals;
      if (first !== undefined && refusals.length === result.outcomes.length) {
        return refusalAnswer(first);
      }
      const services = Object.fromEntries(
        result.outcomes.map(({ service, outcome }) => [service, serviceBody(outcome)]),
      );
      return answer(202, "accepted", { services });
    }
  }
}

function acceptedBody(result: Extract<ServiceOutcome, { kind: "accepted" }>) {
  return {
    buildId: result.buildId,
    stage: result.stage,
    service: result.service,
    sequence: result.sequence,
    githubReport: result.githubReport,
    superseded: result.superseded,
  };
}

function serviceBody(outcome: ServiceOutcome): object {
  switch (outcome.kind) {
    case "accepted":
      return acceptedBody(outcome);
    case "duplicate":
      return { duplicate: true, buildId: outcome.buildId ?? null };
    case "refused":
      return { refused: outcome.reason, message: outcome.detail };
  }
}

function refusalAnswer(refusal: DeliveryRefusal): WebhookAnswer {
  switch (refusal.reason) {
    case "too-large":
      return answer(413, "too-large", { error: "payload-too-large", message: refusal.detail });
    case "bad-signature":
      return answer(401, "unauthorized", { error: "invalid-signature", message: refusal.detail });
    case "malformed":
      // A bad push payload names its fields, a form-encoded hook the setting to change; a
      // request that is no delivery at all gets no detail.
      if (refusal.part === "payload") {
        return answer(400, "malformed", { error: "malformed-payload", message: refusal.detail });
      }
      if (refusal.part === "encoding") {
        return answer(415, "wrong-content-type", {
          error: "unsupported-content-type",
          message: refusal.detail,
        });
      }
      return answer(400, "malformed", {
        error: "malformed-request",
        message: "the request is not a GitHub delivery",
      });
    // Signed deliveries that must not build; GitHub's delivery log shows the message.
    case "foreign-repository":
      return answer(403, "foreign-repository", {
        error: "foreign-repository",
        message: refusal.detail,
      });
    case "replayed":
      return answer(409, "replayed", { error: "replayed", message: refusal.detail });
    case "stale":
      return answer(409, "stale", { error: "stale-push", message: refusal.detail });
  }
}
