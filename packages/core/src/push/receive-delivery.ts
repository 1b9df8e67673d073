import type { PushEvent } from "../model/push-event.ts";
import { type AcceptPushDeps, acceptPush, type PushOutcome } from "./accept-push.ts";
import { SkipReason } from "./build-plan.ts";

/**
 * A webhook delivery whose signature held, read once at the edge: a push arrives parsed.
 * `id` is `X-GitHub-Delivery`: the same on every redelivery, and the correlation id everywhere.
 */
export type VerifiedDelivery =
  | { kind: "ping"; id: string }
  | { kind: "push"; id: string; push: PushEvent }
  /** Any other event (`X-GitHub-Event`); its payload is never read. */
  | { kind: "other"; id: string; event: string };

/** Why the edge refused a request before it became a delivery. */
export const RefusalReason = {
  /** Larger than the handler accepts; nothing was verified or parsed. */
  tooLarge: "too-large",
  /** `X-Hub-Signature-256` is missing or does not match the body. */
  badSignature: "bad-signature",
  /** Signed, but not a delivery Slipway can read: headers, JSON or the push payload. */
  malformed: "malformed",
} as const;
export type RefusalReason = (typeof RefusalReason)[keyof typeof RefusalReason];

/**
 * A request refused at the edge, as expected an outcome as a tag push. `detail` is safe to
 * show: field paths and messages, never the payload's values. `part` says, for `malformed`,
 * whether the request (headers, JSON) or the push payload was at fault.
 */
export type DeliveryRefusal = {
  kind: "refused";
  reason: RefusalReason;
  part?: "request" | "payload";
  detail: string;
};

export type DeliveryOutcome = { kind: "pong" } | DeliveryRefusal | PushOutcome;

/** Answers a ping, skips events that are not pushes, and hands pushes to acceptPush. */
export async function receiveDelivery(
  deps: AcceptPushDeps,
  delivery: VerifiedDelivery,
): Promise<DeliveryOutcome> {
  switch (delivery.kind) {
    case "ping":
      return { kind: "pong" };
    case "other":
      return { kind: "skipped", reason: SkipReason.notAPush };
    case "push":
      return acceptPush(deps, { deliveryId: delivery.id, push: delivery.push });
  }
}
