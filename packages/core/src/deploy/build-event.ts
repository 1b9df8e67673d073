import { z } from "zod";
import { CommitSha } from "../model/push-event.ts";
import { BuildEnv } from "../push/build-plan.ts";

/** An image reference pinned by digest, `repo@sha256:<64 hex>`: what the deployer patches. */
export const ImageDigestRef = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._\-/:]*@sha256:[0-9a-f]{64}$/, "an image reference by sha256 digest");
export type ImageDigestRef = z.infer<typeof ImageDigestRef>;

const NameValue = z.object({ name: z.string(), value: z.string() });

/**
 * The `detail` of CodeBuild's "Build State Change" event, with the fields real events carry
 * beyond AWS's sample: the build number, the source version, the environment overrides the
 * webhook set (stage, commit, delivery, sequence) and the variables the buildspec exported
 * (`IMAGE_URI` as `repo@sha256:…`). Unknown fields are dropped.
 *
 * @example test/events/codebuild/succeeded.json (its `detail`)
 * @see https://docs.aws.amazon.com/codebuild/latest/userguide/sample-build-notifications.html
 */
export const BuildStateChange = z.object({
  "build-status": z.string().min(1),
  "project-name": z.string().min(1),
  /** The build's ARN, `arn:aws:codebuild:<region>:<account>:build/<project>:<uuid>`. */
  "build-id": z.string().min(1),
  "additional-information": z.object({
    "build-number": z.number().int().positive().optional(),
    "source-version": z.string().optional(),
    logs: z.object({ "deep-link": z.url().optional() }).optional(),
    environment: z.object({
      "environment-variables": z.array(NameValue.extend({ type: z.string().optional() })),
    }),
    "exported-environment-variables": z.array(NameValue).optional(),
  }),
});
export type BuildStateChange = z.infer<typeof BuildStateChange>;

/** The variable the buildspec exports with the pushed image's digest reference. */
export const imageUriVariable = "IMAGE_URI";

/** A finished build, in the deployer's words. */
export type FinishedBuild = {
  status: "succeeded" | "failed" | "stopped";
  stage: string;
  sequence: number;
  commit: string;
  deliveryId: string;
  /** CodeBuild's build id, `<project>:<uuid>` (the form StartBuild returns). */
  buildId: string;
  buildNumber: number | undefined;
  /** The build's log in CloudWatch, when the event names it. */
  logUrl: string | undefined;
  /** Present exactly when status is `succeeded`. */
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

  const sequence = Number(env.get(BuildEnv.sequence));
  if (!Number.isSafeInteger(sequence) || sequence < 1) {
    return { kind: "malformed", detail: `${BuildEnv.sequence} is not a positive integer` };
  }
  const commit = CommitSha.safeParse(env.get(BuildEnv.commit));
  if (!commit.success)
    return { kind: "malformed", detail: `${BuildEnv.commit} is not a commit SHA` };
  let image: ImageDigestRef | undefined;
  if (status === "succeeded") {
    const exported = info["exported-environment-variables"] ?? [];
    const uri = ImageDigestRef.safeParse(exported.find((v) => v.name === imageUriVariable)?.value);
    if (!uri.success) {
      return { kind: "malformed", detail: `${imageUriVariable} is missing or not repo@sha256:…` };
    }
    image = uri.data;
  }
  return {
    kind: "finished",
    build: {
      status,
      stage: env.get(BuildEnv.stage) ?? "",
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
