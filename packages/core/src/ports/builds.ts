import type { BuildRequest } from "../push/build-plan.ts";

export type StartedBuild = {
  buildId: string;
  /** Where a person reads the build's log (the CodeBuild console). */
  logUrl: string;
};

/** Starts and stops image builds (CodeBuild in production). */
export interface Builds {
  /** Starts a build; the same idempotency token within CodeBuild's window returns the same build. */
  start(request: BuildRequest): Promise<StartedBuild>;
  stop(buildId: string): Promise<void>;
  /**
   * The variables a build exported (CodeBuild's BatchGetBuilds), for a build event that lacks
   * them; undefined when CodeBuild knows no such build.
   */
  exportedVariables(buildId: string): Promise<ExportedVariable[] | undefined>;
}

/** One exported environment variable; CodeBuild may omit the value. */
export type ExportedVariable = { name: string; value?: string | undefined };
