/**
 * EventBridge patterns, as plain data so AWS's own matcher (Event Ruler) checks them in tests.
 * @see https://docs.aws.amazon.com/codebuild/latest/userguide/sample-build-notifications.html
 */

/** Build states that end a build. IN_PROGRESS is left out: nothing to deploy yet. */
export const finalBuildStates = ["SUCCEEDED", "FAILED", "STOPPED"] as const;

/** Matches this project's finished builds, and nothing else, for the deploy function. */
export function buildFinishedPattern(projectName: string) {
  return {
    source: ["aws.codebuild"],
    "detail-type": ["CodeBuild Build State Change"],
    detail: {
      "project-name": [projectName],
      "build-status": [...finalBuildStates],
    },
  };
}
