import type { DeployTarget } from "../model/deploy-target.ts";
import type { DeploymentState } from "../model/deployment-state.ts";
import type { Builds } from "../ports/builds.ts";
import type { ImageRegistry } from "../ports/image-registry.ts";
import type { ReportDeps } from "../report/report-state.ts";
import type { ApplyImageDeps } from "./apply-image.ts";

export type DeployDeps = ApplyImageDeps &
  ReportDeps & {
    /** The stage this function deploys, and its Deployments. */
    target: DeployTarget;
    /** How long one run waits for a rollout; below the function's timeout, with room to roll back. */
    rolloutTimeoutMs: number;
    /** The stage's registry: a digest it does not hold is refused before any patch. */
    registry: ImageRegistry;
    /** Where a successful build's image is read when its event lacks `IMAGE_URI`. */
    builds?: Pick<Builds, "exportedVariables">;
  };

/** What one Deployment's restore came to. */
export type RestoreOutcome =
  /** Put back now, or by an earlier run (`patched: false`). */
  | { kind: "restored"; target: string; image: string; patched: boolean }
  /** Not restored, and why: a hand edit, a refused patch. The record names it. */
  | { kind: "not-restored"; target: string; why: string };

export type DeployOutcome =
  | { kind: "ignored"; reason: string }
  /** Already handled (a redelivered or repeated event): nothing was changed. */
  | { kind: "duplicate"; state: DeploymentState }
  | { kind: "build-failed"; status: "failed" | "stopped" }
  | { kind: "superseded"; by: number }
  /** The stage is pinned: the build is recorded `held`, not deployed, until an unpin. */
  | { kind: "held"; reason: string }
  | { kind: "succeeded"; image: string }
  /** Every Deployment is back on the stage's last succeeded image, and its rollout completed. */
  | { kind: "rolled-back"; reason: string; restored: RestoreOutcome[] }
  /** Failed, and the stage is not (wholly) restored: the reason names what was not. */
  | { kind: "failed"; reason: string }
  /** An operator changed a Deployment by hand during the rollout: Slipway stopped there. */
  | { kind: "replaced"; reason: string }
  /** Still rolling out (or back) when this run's bound ran out; the re-check concludes it. */
  | { kind: "rolling"; pending: string[] };

/** How a run concludes a rollout or restore still progressing when its wait ends. */
export type FollowOptions = {
  /**
   * The deployment has been going longer than any rollout may (the re-check's bound): a
   * rollout still progressing has failed, and a restore still progressing too.
   */
  expired?: boolean;
};
