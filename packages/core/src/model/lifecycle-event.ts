import { DeploymentState } from "./deployment-state.ts";
import * as z from "./zod.ts";

/** The EventBridge `source` of every Slipway lifecycle event. */
export const lifecycleEventSource = "slipway";
/** The EventBridge `detail-type` of every Slipway lifecycle event. */
export const lifecycleDetailType = "Slipway Deployment State Change";

/** What a lifecycle event reports: a ledger state, plus `build_failed` for a failed build. */
export const LifecycleStatus = { ...DeploymentState, buildFailed: "build_failed" } as const;
export type LifecycleStatus = (typeof LifecycleStatus)[keyof typeof LifecycleStatus];

/**
 * The `detail` of a Slipway Deployment State Change event. Subscribers parse exactly this
 * schema, so publisher and subscribers cannot drift apart.
 *
 * @example
 * { "status": "succeeded", "stage": "production", "service": "chat", "repository": "acme/chat",
 *   "commit": "6113728f27ae82c7b1a177c8d03f9e96e0adf246", "sequence": 42,
 *   "deliveryId": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
 *   "buildId": "slipway-production:0b0f…", "imageDigest": "…/chat@sha256:4f4f…",
 *   "previousDigest": "…/chat@sha256:3e3e…", "at": "2026-11-26T10:12:00.000Z",
 *   "links": { "buildLog": "https://console.aws.amazon.com/…", "appUrl": "https://chat.example.com" } }
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-events-structure.html
 */
export const LifecycleDetail = z.object({
  status: z.enum(LifecycleStatus),
  stage: z.string().check(z.minLength(1)),
  /** The service deployed: subscribers filter one service's events by it. */
  service: z.string().check(z.minLength(1)),
  /** `owner/name`. */
  repository: z.string().check(z.minLength(3)),
  commit: z.string().check(z.minLength(7)),
  sequence: z.int().check(z.positive()),
  /** GitHub's delivery id: the correlation id of one push, from webhook to verdict. */
  deliveryId: z.string().check(z.minLength(1)),
  buildId: z.optional(z.string()),
  imageDigest: z.optional(z.string()),
  previousDigest: z.optional(z.string()),
  reason: z.optional(z.string().check(z.maxLength(2048))),
  at: z.iso.datetime({ offset: true }),
  links: z.object({
    buildLog: z.optional(z.url()),
    githubDeployment: z.optional(z.url()),
    appUrl: z.optional(z.url()),
  }),
});
export type LifecycleDetail = z.infer<typeof LifecycleDetail>;

/** Publishes lifecycle events; a failure to publish must never fail or undo a deployment. */
export interface LifecyclePublisher {
  publish(details: readonly LifecycleDetail[]): Promise<PublishOutcome>;
}

export type PublishOutcome = { published: number; failed: number };
