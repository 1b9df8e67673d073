import { readFileSync } from "node:fs";

/** The variants under test/events/codebuild/, real-shaped CodeBuild Build State Change events. */
export type BuildEventVariant = "succeeded" | "failed" | "stopped" | "in-progress";

type NameValue = { name: string; value: string; type?: string };
type BuildEvent = {
  id: string;
  detail: {
    "build-status": string;
    "build-id": string;
    "additional-information": {
      environment: { "environment-variables": NameValue[] };
      "exported-environment-variables"?: NameValue[];
      "source-version"?: string;
    };
  };
} & Record<string, unknown>;

/** A fixture as it is on disk (a fresh copy each call). */
export function buildEvent(variant: BuildEventVariant): BuildEvent {
  return JSON.parse(readFileSync(new URL(`./${variant}.json`, import.meta.url), "utf8"));
}

/**
 * A fixture for one Slipway build: the environment overrides the webhook set (stage, service, commit,
 * delivery, sequence), the build's ARN, and for a success the exported image digest.
 */
export function buildEventFor(
  variant: BuildEventVariant,
  build: {
    stage: string;
    /** @default "chat" */
    service?: string;
    sequence: number;
    commit: string;
    deliveryId: string;
    /** `<project>:<uuid>`, as StartBuild returns it. */
    buildId: string;
    image?: string;
  },
): BuildEvent {
  const event = buildEvent(variant);
  const arn = `arn:aws:codebuild:us-east-1:123456789012:build/${build.buildId}`;
  event.id = `${build.buildId}:${variant}`;
  event.resources = [arn];
  event.detail["build-id"] = arn;
  const info = event.detail["additional-information"];
  info["source-version"] = build.commit;
  const overrides: Record<string, string> = {
    SLIPWAY_STAGE: build.stage,
    SLIPWAY_SERVICE: build.service ?? "chat",
    SLIPWAY_COMMIT: build.commit,
    SLIPWAY_DELIVERY_ID: build.deliveryId,
    SLIPWAY_SEQUENCE: String(build.sequence),
  };
  info.environment["environment-variables"] = info.environment["environment-variables"].map((v) =>
    v.name in overrides ? { ...v, value: overrides[v.name] ?? v.value } : v,
  );
  if (build.image !== undefined && info["exported-environment-variables"]) {
    info["exported-environment-variables"] = info["exported-environment-variables"].map((v) =>
      v.name === "IMAGE_URI" ? { ...v, value: build.image ?? v.value } : v,
    );
  }
  return event;
}
