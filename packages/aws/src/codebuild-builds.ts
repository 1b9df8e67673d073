import {
  BatchGetBuildsCommand,
  type BatchGetBuildsCommandOutput,
  type CodeBuildClient,
  StartBuildCommand,
  StopBuildCommand,
} from "@aws-sdk/client-codebuild";
import { type Builds, RefusedError } from "@slipway/core";
import { translateAwsError } from "./aws-errors.ts";
import { codebuildLogUrl } from "./codebuild-log-url.ts";

/**
 * Builds on CodeBuild. StartBuild carries the delivery id as `idempotencyToken`, so a retried
 * request within CodeBuild's 5-minute window returns the same build instead of a second one;
 * the ledger's delivery claim covers the days after that. Failures are core's errors
 * (TransientError, RefusedError), so a throttled StartBuild is retried like a Kubernetes call.
 * BatchGetBuilds reads a finished build's exported variables when its event lacks them.
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
        throw translateAwsError("CodeBuild StartBuild", error);
      }
      if (build?.id === undefined || build.arn === undefined) {
        throw new RefusedError("CodeBuild StartBuild (the answer names no build)", 200);
      }
      return { buildId: build.id, logUrl: codebuildLogUrl(build.arn) };
    },
    async stop(buildId) {
      try {
        await client.send(new StopBuildCommand({ id: buildId }));
      } catch (error) {
        throw translateAwsError("CodeBuild StopBuild", error);
      }
    },
    async exportedVariables(buildId) {
      let found: BatchGetBuildsCommandOutput;
      try {
        found = await client.send(new BatchGetBuildsCommand({ ids: [buildId] }));
      } catch (error) {
        throw translateAwsError("CodeBuild BatchGetBuilds", error);
      }
      const build = found.builds?.find((b) => b.id === buildId);
      if (build === undefined) return undefined;
      return (build.exportedEnvironmentVariables ?? []).flatMap((v) =>
        v.name === undefined ? [] : [{ name: v.name, value: v.value }],
      );
    },
  };
}
