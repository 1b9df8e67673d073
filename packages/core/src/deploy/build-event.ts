import { CommitSha } from "../model/push-event.ts";
import * as z from "../model/zod.ts";
import { BuildEnv } from "../push/build-plan.ts";

/** An image reference pinned by digest, `repo@sha256:<64 hex>`: what the deployer patches. */
export const ImageDigestRef = z
  .string()
  .check(
    z.regex(/^[a-z0-9][a-z0-9._\-/:]*@sha256:[0-9a-f]{64}$/, "an image reference by sha256 digest"),
  );
export type ImageDigestRef = z.infer<typeof ImageDigestRef>;

/** A variable as CodeBuild lists it; one without a value reads as unset, never as an error. */
const NameValue = z.object({ name: z.string(), value: z.optional(z.string()) });

/**
 * The envelope of every event the deploy function acts on: checked, since an EventBridge rule
 * is the only thing that made them CodeBuild's otherwise.
 */
export const BuildEventEnvelope = z.object({
  source: z.literal("aws.codebuild"),
  "detail-type": z.literal("CodeBuild Build State Change"),
});

/**
 * The `detail` of CodeBuild's "Build State Change" event, with the fields real events carry
 * beyond AWS's sample: the build number, the source version, the environment overrides the
 * webhook set (stage, service, commit, delivery, sequence) and the variables the buildspec exported
 * (`IMAGE_URI` as `repo@sha256:…`). Unknown fields are dropped.
 *
 * @example test/events/codebuild/succeeded.json (its `detail`)
 * @see https://docs.aws.amazon.com/codebuild/latest/userguide/sample-build-notifications.html
 */
export const BuildStateChange = z.object({
  "build-status": z.string().check(z.minLength(1)),
  "project-name": z.string().check(z.minLength(1)),
  /** The build's ARN, `arn:aws:codebuild:<region>:<account>:build/<project>:<uuid>`. */
  "build-id": z.string().check(z.minLength(1)),
  "additional-information": z.object({
    // Unused by the decision: a value Slipway cannot read is dropped, not the whole event.
    "build-number": z.catch(z.optional(z.int().check(z.positive())), undefined),
    "source-version": z.catch(z.optional(z.string()), undefined),
    logs: z.catch(
      z.optional(z.object({ "deep-link": z.catch(z.optional(z.url()), undefined) })),
      undefined,
    ),
    environment: z.object({
      "environment-variables": z.array(z.extend(NameValue, { type: z.optional(z.string()) })),
    }),
    "exported-environment-variables": z.optional(z.array(NameValue)),
  }),
});
export type BuildStateChange = z.infer<typeof BuildStateChange>;

/**
 * A whole CodeBuild "Build State Change" event as EventBridge delivers it: the envelope's
 * fields (as Powertools' EventBridgeSchema checks them) around BuildStateChange. Written
 * here, once, rather than Powertools' envelope, which builds its schema anew for every event
 * on zod's classic API and so carried that API (190 KiB) into the deploy function alone.
 *
 * @example test/events/codebuild/succeeded.json
 * @see https://docs.aws.amazon.com/eventbridge/latest/ref/overiew-event-structure.html
 */
export const BuildEvent = z.object({
  version: z.string(),
  id: z.string(),
  source: z.literal("aws.codebuild"),
  account: z.string(),
  time: z.iso.datetime(),
  region: z.string(),
  resources: z.array(z.string()),
  "detail-type": z.literal("CodeBuild Build State Change"),
  detail: BuildStateChange,
  "replay-name": z.optional(z.string()),
});
export type BuildEvent = z.infer<typeof BuildEvent>;

/** The variable the buildspec exports with the pushed image's digest reference. */
export const imageUriVariable = "IMAGE_URI";

/** A finished build, in the deployer's words. */
export type FinishedBuild = {
  status: "succeeded" | "failed" | "stopped";
  stage: string;
  /** The service built (`SLIPWAY_SERVICE`): with the stage, the lane it deploys to. */
  service: string;
  sequence: number;
  commit: string;
  deliveryId: string;
  /** CodeBuild's build id, `<project>:<uuid>` (the form StartBuild returns). */
  buildId: string;
  buildNumber: number | undefined;
  /** The build's log in CloudWatch, when the event names it. */
  logUrl: string | undefined;
  /**
   * Set only when status is `succeeded`, from the event's exported variables; a successful
   * build without it is asked of CodeBuild (Builds.exportedImage) before it is failed.
   */
  image: ImageDigestRef | undefined;
};

/** Why a parsed build event is not acted on; each is logged and dropped, never retried. */
export type UnusableBuild =
  | { kind: "not-finished"; status: string }
  | { kind: "not-slipway"; missing: string[] }
  | { kind: "malformed"; detail: string };

const finished = { SUCCEEDED: "succeeded", FAILED: "failed", STOPPED: "stopped" } as const;

/**
 * Reads what the deployer needs from a build event: final status, the Slipway variables, and
 * for a successful build its image by digest. Anything else is an UnusableBuild, not an error.
 */
export function readFinishedBuild(
  event: BuildStateChange,
): { kind: "finished"; build: FinishedBuild } | UnusableBuild {
  const status = finished[event["build-status"] as keyof typeof finished];
  if (status === undefined) return { kind: "not-finished", status: event["build-status"] };
  const info = event["additional-information"];
  const env = new Map(info.environment["environment-variables"].map((v) => [v.name, v.value]));
  const names = Object.values(BuildEnv);
  const missing = names.filter((name) => !env.get(name));
  if (missing.length > 0) return { kind: "not-slipway", missing };

  // Canonical digits only: Number() would read " 7 ", "7.0" and "0x7" as 7.
  const rawSequence = env.get(BuildEnv.sequence) ?? "";
  const sequence = /^[1-9][0-9]*$/.test(rawSequence) ? Number(rawSequence) : Number.NaN;
  if (!Number.isSafeInteger(sequence)) {
    return { kind: "malformed", detail: `${BuildEnv.sequence} is not a positive integer` };
  }
  const commit = CommitSha.safeParse(env.get(BuildEnv.commit));
  if (!commit.success)
    return { kind: "malformed", detail: `${BuildEnv.commit} is not a commit SHA` };
  const image =
    status === "succeeded" ? exportedImage(info["exported-environment-variables"]) : undefined;
  return {
    kind: "finished",
    build: {
      status,
      stage: env.get(BuildEnv.stage) ?? "",
      service: env.get(BuildEnv.service) ?? "",
      sequence,
      commit: commit.data,
      deliveryId: env.get(BuildEnv.deliveryId) ?? "",
      buildId: buildIdFromArn(event["build-id"]),
      buildNumber: info["build-number"],
      logUrl: info.logs?.["deep-link"],
      image,
    },
  };
}

/** `arn:…:build/<project>:<uuid>` → `<project>:<uuid>`; anything else is returned as it is. */
export function buildIdFromArn(arn: string): string {
  const marker = ":build/";
  const at = arn.indexOf(marker);
  return at === -1 ? arn : arn.slice(at + marker.length);
}

/** `IMAGE_URI` among a build's exported variables, if it is an image by digest. */
export function exportedImage(
  variables: ReadonlyArray<{ name: string; value?: string | undefined }> | undefined,
): ImageDigestRef | undefined {
  const uri = ImageDigestRef.safeParse(variables?.find((v) => v.name === imageUriVariable)?.value);
  return uri.success ? uri.data : undefined;
}
