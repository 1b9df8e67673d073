import type { PushEvent } from "../model/push-event.ts";
import { type AcceptPushDeps, acceptPush, type PushOutcome } from "./accept-push.ts";
import { SkipReason } from "./build-plan.ts";
import type { DeliveryRefusal } from "./delivery-refusal.ts";

/**
 * A webhook delivery whose signature held, read once at the edge: a push arrives parsed.
 * `id` is `X-GitHub-Delivery`: the same on every redelivery, and the correlation id everywhere.
 */
export type VerifiedDelivery =
  | { kind: "ping"; id: string }
  /** `bodyDigest`: SHA-256 of the signed body, hex; a replay under a new id has the same one. */
  | { kind: "push"; id: string; push: PushEvent; bodyDigest: string }
  /** Any other event (`X-GitHub-Event`); its payload is never read. */
  | { kind: "other"; id: string; event: string };

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
      return acceptPush(deps, {
        deliveryId: delivery.id,
        push: delivery.push,
        bodyDigest: delivery.bodyDigest,
      });
  }
}
