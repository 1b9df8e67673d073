import {
  BatchGetBuildsCommand,
  CodeBuildClient,
  InvalidInputException,
  StartBuildCommand,
  StopBuildCommand,
} from "@aws-sdk/client-codebuild";
import { mockClient } from "aws-sdk-client-mock";
import "aws-sdk-client-mock-vitest/extend";
import { RefusedError, TransientError } from "@slipway/core";
import { beforeEach, describe, expect, it } from "vitest";
import { createCodeBuildBuilds } from "./codebuild-builds.ts";
import { codebuildLogUrl } from "./codebuild-log-url.ts";

const codebuild = mockClient(CodeBuildClient);
const arn =
  "arn:aws:codebuild:eu-west-1:123456789012:build/slipway-production:0b0f1c2d-3e4f-5a6b-7c8d-9e0f1a2b3c4d";
const request = {
  projectName: "slipway-production",
  sourceVersion: "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
  idempotencyToken: "72d3162e-cc78-11e3-81ab-4c9367dc0958",
  environment: { SLIPWAY_STAGE: "production", SLIPWAY_SEQUENCE: "7" },
};

describe("CodeBuild builds", () => {
  beforeEach(() => codebuild.reset());

  it("starts the project at the SHA with the token and plain-text environment overrides", async () => {
    codebuild.on(StartBuildCommand).resolves({
      build: { id: "slipway-production:0b0f1c2d-3e4f-5a6b-7c8d-9e0f1a2b3c4d", arn },
    });
    const builds = createCodeBuildBuilds({ client: new CodeBuildClient({ region: "eu-west-1" }) });

    const started = await builds.start(request);

    expect(codebuild).toHaveReceivedCommandExactlyOnceWith(StartBuildCommand, {
      projectName: "slipway-production",
      sourceVersion: request.sourceVersion,
      idempotencyToken: request.idempotencyToken,
      environmentVariablesOverride: [
        { name: "SLIPWAY_STAGE", value: "production", type: "PLAINTEXT" },
        { name: "SLIPWAY_SEQUENCE", value: "7", type: "PLAINTEXT" },
      ],
    });
    expect(started).toEqual({
      buildId: "slipway-production:0b0f1c2d-3e4f-5a6b-7c8d-9e0f1a2b3c4d",
      logUrl: codebuildLogUrl(arn),
    });
  });

  it("turns a CodeBuild refusal into core's RefusedError that keeps the cause", async () => {
    const refusal = new InvalidInputException({
      message: "Project cannot be found",
      $metadata: {},
    });
    codebuild.on(StartBuildCommand).rejects(refusal);
    const builds = createCodeBuildBuilds({ client: new CodeBuildClient({ region: "eu-west-1" }) });

    const started = builds.start(request);

    await expect(started).rejects.toThrow(RefusedError);
    await expect(started).rejects.toMatchObject({
      operation: "CodeBuild StartBuild",
      status: 400,
      cause: refusal,
    });
  });

  it("turns a throttled StartBuild into core's TransientError, so core retries it", async () => {
    const throttled = Object.assign(new Error("Rate exceeded"), {
      name: "ThrottlingException",
      $fault: "client",
      $metadata: { httpStatusCode: 400 },
    });
    codebuild.on(StartBuildCommand).rejects(throttled);
    const builds = createCodeBuildBuilds({ client: new CodeBuildClient({ region: "eu-west-1" }) });

    await expect(builds.start(request)).rejects.toThrow(TransientError);
  });

  it("stops a build by id", async () => {
    codebuild.on(StopBuildCommand).resolves({});
    const builds = createCodeBuildBuilds({ client: new CodeBuildClient({ region: "eu-west-1" }) });

    await builds.stop("slipway-production:old");

    expect(codebuild).toHaveReceivedCommandWith(StopBuildCommand, { id: "slipway-production:old" });
  });
});

describe("CodeBuild exported variables", () => {
  beforeEach(() => codebuild.reset());

  it("reads a finished build's exported variables with BatchGetBuilds", async () => {
    const id = "slipway-production:0b0f";
    codebuild.on(BatchGetBuildsCommand).resolves({
      builds: [
        {
          id,
          exportedEnvironmentVariables: [
            { name: "IMAGE_URI", value: `registry.example/chat@sha256:${"4f".repeat(32)}` },
            { name: "EMPTY" },
          ],
        },
      ],
    });
    const builds = createCodeBuildBuilds({ client: new CodeBuildClient({ region: "eu-west-1" }) });

    const variables = await builds.exportedVariables(id);

    expect(codebuild).toHaveReceivedCommandExactlyOnceWith(BatchGetBuildsCommand, { ids: [id] });
    expect(variables).toEqual([
      { name: "IMAGE_URI", value: `registry.example/chat@sha256:${"4f".repeat(32)}` },
      { name: "EMPTY", value: undefined },
    ]);
  });

  it("says so when CodeBuild knows no such build", async () => {
    codebuild.on(BatchGetBuildsCommand).resolves({ builds: [], buildsNotFound: ["x:1"] });
    const builds = createCodeBuildBuilds({ client: new CodeBuildClient({ region: "eu-west-1" }) });

    await expect(builds.exportedVariables("x:1")).resolves.toBeUndefined();
  });

  it("turns a throttled BatchGetBuilds into core's TransientError", async () => {
    codebuild.on(BatchGetBuildsCommand).rejects(
      Object.assign(new Error("Rate exceeded"), {
        name: "ThrottlingException",
        $fault: "client",
        $metadata: { httpStatusCode: 400 },
      }),
    );
    const builds = createCodeBuildBuilds({ client: new CodeBuildClient({ region: "eu-west-1" }) });

    await expect(builds.exportedVariables("x:1")).rejects.toThrow(TransientError);
  });
});

describe("codebuildLogUrl", () => {
  it("links the build's console page in its region and account", () => {
    expect(codebuildLogUrl(arn)).toBe(
      "https://eu-west-1.console.aws.amazon.com/codesuite/codebuild/123456789012/projects/slipway-production/build/slipway-production%3A0b0f1c2d-3e4f-5a6b-7c8d-9e0f1a2b3c4d/?region=eu-west-1",
    );
  });

  it("refuses something that is not a build ARN", () => {
    expect(() => codebuildLogUrl("arn:aws:s3:::bucket")).toThrow(RangeError);
  });
});
