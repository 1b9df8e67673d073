import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  BuildEventEnvelope,
  BuildStateChange,
  buildIdFromArn,
  readFinishedBuild,
} from "./build-event.ts";

type Fixture = {
  source: string;
  "detail-type": string;
  detail: {
    "additional-information": {
      "build-number"?: unknown;
      logs: { "deep-link"?: unknown };
      "exported-environment-variables"?: { name: string; value?: string }[];
      environment: { "environment-variables": { name: string; value?: string }[] };
    };
  };
};
const fixture = (variant: string) =>
  JSON.parse(
    readFileSync(
      new URL(`../../../../test/events/codebuild/${variant}.json`, import.meta.url),
      "utf8",
    ),
  ) as Fixture;
const detail = (variant: string) => BuildStateChange.parse(fixture(variant).detail);
const digest = `123456789012.dkr.ecr.us-east-1.amazonaws.com/slipway-dev-registry@sha256:${"4f".repeat(32)}`;

describe("readFinishedBuild", () => {
  it("reads stage, sequence, delivery, commit, build and image from a real SUCCEEDED event", () => {
    const read = readFinishedBuild(detail("succeeded"));

    expect(read).toEqual({
      kind: "finished",
      build: {
        status: "succeeded",
        stage: "dev",
        service: "chat",
        sequence: 7,
        commit: "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
        deliveryId: "72d3162e-cc78-11e3-81ab-4c9367dc0958",
        buildId: "slipway-dev-BuildProject:8745a7a9-c340-456a-9166-edf953571b3e",
        buildNumber: 42,
        logUrl: expect.stringContaining("https://console.aws.amazon.com/cloudwatch/"),
        image: digest,
      },
    });
  });

  it.each(["failed", "stopped"])("reads a %s build without an image", (variant) => {
    const read = readFinishedBuild(detail(variant));

    expect(read).toMatchObject({ kind: "finished", build: { status: variant, image: undefined } });
  });

  it("does not act on a build that is still in progress", () => {
    expect(readFinishedBuild(detail("in-progress"))).toEqual({
      kind: "not-finished",
      status: "IN_PROGRESS",
    });
  });

  it("names the Slipway variables a foreign build lacks", () => {
    const event = structuredClone(fixture("succeeded")) as {
      detail: { "additional-information": { environment: { "environment-variables": unknown[] } } };
    };
    event.detail["additional-information"].environment["environment-variables"] = [];

    const read = readFinishedBuild(BuildStateChange.parse(event.detail));

    expect(read).toEqual({
      kind: "not-slipway",
      missing: [
        "SLIPWAY_COMMIT",
        "SLIPWAY_STAGE",
        "SLIPWAY_SERVICE",
        "SLIPWAY_DELIVERY_ID",
        "SLIPWAY_SEQUENCE",
      ],
    });
  });

  it.each([
    ["a tag instead of a digest", "registry.example/chat:latest"],
    ["a short digest", "registry.example/chat@sha256:abc"],
    ["missing", undefined],
  ])(
    "reads a SUCCEEDED build whose IMAGE_URI is %s as having no image, for the deployer to look up",
    (_, uri) => {
      const event = structuredClone(fixture("succeeded")) as {
        detail: {
          "additional-information": {
            "exported-environment-variables": { name: string; value: string }[];
          };
        };
      };
      event.detail["additional-information"]["exported-environment-variables"] =
        uri === undefined ? [] : [{ name: "IMAGE_URI", value: uri }];

      expect(readFinishedBuild(BuildStateChange.parse(event.detail))).toMatchObject({
        kind: "finished",
        build: { status: "succeeded", image: undefined },
      });
    },
  );

  it.each(["7.5", " 7 ", "7.0", "0x7", "07", "-7", "1e1", ""])(
    "calls a SLIPWAY_SEQUENCE of %j malformed: only canonical positive integers",
    (value) => {
      const event = structuredClone(fixture("succeeded"));
      const vars = event.detail["additional-information"].environment["environment-variables"];
      for (const v of vars) if (v.name === "SLIPWAY_SEQUENCE") v.value = value;

      const read = readFinishedBuild(BuildStateChange.parse(event.detail));

      expect(read.kind).toBe(value === "" ? "not-slipway" : "malformed");
    },
  );

  it.each([
    [
      "a deep-link of n/a",
      (e: Fixture) => (e.detail["additional-information"].logs["deep-link"] = "n/a"),
    ],
    [
      "an empty deep-link",
      (e: Fixture) => (e.detail["additional-information"].logs["deep-link"] = ""),
    ],
    [
      "a build-number of 1.5",
      (e: Fixture) => (e.detail["additional-information"]["build-number"] = 1.5),
    ],
    [
      "an environment variable without a value",
      (e: Fixture) =>
        e.detail["additional-information"].environment["environment-variables"].push({
          name: "NO_VALUE",
        }),
    ],
  ])("still reads a Slipway build whose unused fields are odd: %s", (_, change) => {
    const event = structuredClone(fixture("succeeded"));
    change(event);

    const parsed = BuildStateChange.safeParse(event.detail);

    expect(parsed.success).toBe(true);
    expect(readFinishedBuild(parsed.data as BuildStateChange)).toMatchObject({ kind: "finished" });
  });

  it("calls a sequence that is not a positive integer malformed", () => {
    const event = structuredClone(fixture("succeeded")) as {
      detail: {
        "additional-information": {
          environment: { "environment-variables": { name: string; value: string }[] };
        };
      };
    };
    const vars = event.detail["additional-information"].environment["environment-variables"];
    for (const v of vars) if (v.name === "SLIPWAY_SEQUENCE") v.value = "7.5";

    expect(readFinishedBuild(BuildStateChange.parse(event.detail))).toMatchObject({
      kind: "malformed",
    });
  });

  it("rejects an event without the build's environment at the schema", () => {
    const event = structuredClone(fixture("succeeded")) as { detail: Record<string, unknown> };
    delete event.detail["additional-information"];

    expect(BuildStateChange.safeParse(event.detail).success).toBe(false);
  });
});

describe("BuildEventEnvelope", () => {
  it("accepts CodeBuild's own build state changes only", () => {
    const event = fixture("succeeded");
    const otherSource = { ...structuredClone(event), source: "attacker.events" };
    const otherType = { ...structuredClone(event), "detail-type": "CodeBuild Build Phase Change" };

    expect(BuildEventEnvelope.safeParse(event).success).toBe(true);
    expect(BuildEventEnvelope.safeParse(otherSource).success).toBe(false);
    expect(BuildEventEnvelope.safeParse(otherType).success).toBe(false);
  });
});

describe("buildIdFromArn", () => {
  it("turns a build ARN into the id StartBuild returns", () => {
    expect(buildIdFromArn("arn:aws:codebuild:us-east-1:123456789012:build/p:u-1")).toBe("p:u-1");
  });

  it("leaves an id that is not an ARN as it is", () => {
    expect(buildIdFromArn("p:u-1")).toBe("p:u-1");
  });
});
