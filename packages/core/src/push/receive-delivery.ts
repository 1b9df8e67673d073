import { PushEvent } from "../model/push-event.ts";
import { type AcceptPushDeps, acceptPush, type PushOutcome } from "./accept-push.ts";
import { SkipReason } from "./build-plan.ts";

/** A webhook delivery whose signature has been verified; its payload is not yet trusted. */
export type VerifiedDelivery = {
  /** `X-GitHub-Delivery`: the same on every redelivery, and the correlation id everywhere. */
  id: string;
  /** `X-GitHub-Event`. */
  event: string;
  payload: unknown;
};

export type DeliveryOutcome =
  | { kind: "pong" }
  | { kind: "rejected"; reason: "malformed-payload"; detail: string }
  | PushOutcome;

/** Answers a ping, ignores events that are not pushes, and hands valid pushes to acceptPush. */
export async function receiveDelivery(
  deps: AcceptPushDeps,
  delivery: VerifiedDelivery,
): Promise<DeliveryOutcome> {
  if (delivery.event === "ping") return { kind: "pong" };
  if (delivery.event !== "push") return { kind: "skipped", reason: SkipReason.notAPush };
  const push = PushEvent.safeParse(delivery.payload);
  if (!push.success) {
    // Paths and messages only: the payload's values never reach the response or the logs.
    const detail = push.error.issues
      .slice(0, 5)
      .map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`)
      .join("; ");
    return { kind: "rejected", reason: "malformed-payload", detail };
  }
  return acceptPush(deps, { deliveryId: delivery.id, push: push.data });
}
