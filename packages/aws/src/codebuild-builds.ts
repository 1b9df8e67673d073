import {
  type CodeBuildClient,
  StartBuildCommand,
  StopBuildCommand,
} from "@aws-sdk/client-codebuild";
import type { Builds } from "@slipway/core";
import { codebuildLogUrl } from "./codebuild-log-url.ts";

/** CodeBuild refused or failed a call; vendor exception names stay in `cause`. */
export class BuildServiceError extends Error {
  override readonly name = "BuildServiceError";
  readonly operation: "StartBuild" | "StopBuild";
  constructor(operation: "StartBuild" | "StopBuild", cause: unknown) {
    const vendor = cause instanceof Error ? cause.name : "unknown error";
    super(`CodeBuild ${operation} failed (${vendor})`, { cause });
    this.operation = operation;
  }
}

/**
 * Builds on CodeBuild. StartBuild carries the delivery id as `idempotencyToken`, so a retried
 * request within CodeBuild's 5-minute window returns the same build instead of a second one;
 * the ledger's delivery claim covers the days after that.
 * @see https://docs.aws.amazon.com/codebuild/latest/APIReference/API_StartBuild.html
 */
export function createCodeBuildBuilds(options: { client: CodeBuildClient }): Builds {
  const { client } = options;
  return {
    async start(request) {
      let build: { id?: string | undefined; arn?: string | undefined } | undefined;
      try {
        ({ build } = await client.send(
          new StartBuildCommand({
            projectName: request.projectName,
            sourceVersion: request.sourceVersion,
            idempotencyToken: request.idempotencyToken,
            environmentVariablesOverride: Object.entries(request.environment).map(
              ([name, value]) => ({
                name,
                value,
                type: "PLAINTEXT",
              }),
            ),
          }),
        ));
      } catch (error) {
        throw new BuildServiceError("StartBuild", error);
      }
      if (build?.id === undefined || build.arn === undefined) {
        throw new BuildServiceError("StartBuild", new Error("the answer names no build"));
      }
      return { buildId: build.id, logUrl: codebuildLogUrl(build.arn) };
    },
    async stop(buildId) {
      try {
        await client.send(new StopBuildCommand({ id: buildId }));
      } catch (error) {
        throw new BuildServiceError("StopBuild", error);
      }
    },
  };
}
