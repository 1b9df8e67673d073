/**
 * EventBridge patterns, as plain data so AWS's own matcher (Event Ruler) checks them in tests.
 * @see https://docs.aws.amazon.com/codebuild/latest/userguide/sample-build-notifications.html
 */

/** Build states that end a build. IN_PROGRESS is left out: nothing to deploy yet. */
export const finalBuildStates = ["SUCCEEDED", "FAILED", "STOPPED"] as const;

/** Matches these projects' finished builds (one per service), and nothing else, for the deploy function. */
export function buildFinishedPattern(projectNames: readonly string[]) {
  return {
    source: ["aws.codebuild"],
    "detail-type": ["CodeBuild Build State Change"],
    detail: {
      "project-name": [...projectNames],
      "build-status": [...finalBuildStates],
    },
  };
}

/**
 * Lifecycle states that need a person: Slipway could not deliver the push (a failed restore
 * is `failed` too, with the Deployments it could not restore named), or an operator's hand
 * edit took a Deployment over mid-rollout (`replaced`) and Slipway stopped there.
 */
export const alertingLifecycleStates = [
  "failed",
  "rolled_back",
  "replaced",
  "build_failed",
] as const;

/** Matches Slipway's own lifecycle events that should page someone. */
export function lifecycleAlertPattern() {
  return {
    source: ["slipway"],
    "detail-type": ["Slipway Deployment State Change"],
    detail: { status: [...alertingLifecycleStates] },
  };
}

/** Matches these projects' builds as they start, so the ledger (and its events) show `building`. */
export function buildStartedPattern(projectNames: readonly string[]) {
  return {
    source: ["aws.codebuild"],
    "detail-type": ["CodeBuild Build State Change"],
    detail: { "project-name": [...projectNames], "build-status": ["IN_PROGRESS"] },
  };
}
