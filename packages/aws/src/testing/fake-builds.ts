import type { BuildRequest, Builds, ExportedVariable, StartedBuild } from "@slipway/core";

/**
 * Builds that remember what they were asked. Like CodeBuild, a repeated idempotency token
 * with an identical request returns the same build, and a changed request is refused.
 */
export type FakeBuilds = Builds & {
  started: BuildRequest[];
  stopped: string[];
  /** Makes the next `start` calls fail with this error. */
  failStarts(error: Error): void;
  /** What `exportedVariables` answers, by build id (CodeBuild's BatchGetBuilds). */
  exported: Map<string, ExportedVariable[]>;
};

export function createFakeBuilds(): FakeBuilds {
  const byToken = new Map<string, { request: string; build: StartedBuild }>();
  const started: BuildRequest[] = [];
  const stopped: string[] = [];
  let startError: Error | undefined;
  const exported = new Map<string, ExportedVariable[]>();
  return {
    started,
    stopped,
    exported,
    async exportedVariables(buildId) {
      return exported.get(buildId);
    },
    failStarts(error) {
      startError = error;
    },
    async start(request) {
      if (startError) throw startError;
      const same = byToken.get(request.idempotencyToken);
      if (same !== undefined) {
        if (same.request !== JSON.stringify(request)) {
          throw new Error("idempotency token reused with different parameters");
        }
        return same.build;
      }
      started.push(request);
      const buildId = `${request.projectName}:build-${started.length}`;
      const build = {
        buildId,
        logUrl: `https://builds.example.test/${encodeURIComponent(buildId)}`,
      };
      byToken.set(request.idempotencyToken, { request: JSON.stringify(request), build });
      return build;
    },
    async stop(buildId) {
      stopped.push(buildId);
    },
  };
}
