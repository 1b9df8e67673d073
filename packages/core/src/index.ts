// The pure domain, by folder. model/: the values every flow shares. ports/: what core asks
// of the world, and the errors adapters throw. push/: webhook delivery → build. deploy/: build
// event → rollout by digest, rollback, re-check. operate/: what an operator asks for.
// report/: how a state reaches GitHub and the lifecycle bus.
export * from "./deploy/apply-image.ts";
export * from "./deploy/build-event.ts";
export * from "./deploy/deploy-build.ts";
export type * from "./deploy/deploy-outcome.ts";
export * from "./deploy/lane-deps.ts";
export * from "./deploy/mark-building.ts";
export * from "./deploy/recheck-rollouts.ts";
export * from "./deploy/restore-stage.ts";
export * from "./deploy/rollout-progress.ts";
export * from "./deploy/rollout-verdict.ts";
export * from "./model/branch-glob.ts";
export * from "./model/deploy-annotations.ts";
export * from "./model/deploy-target.ts";
export * from "./model/deployment-record.ts";
export * from "./model/deployment-state.ts";
export * from "./model/describe-error.ts";
export * from "./model/lifecycle-event.ts";
export * from "./model/push-event.ts";
export * from "./model/service-declaration.ts";
export * from "./model/stage-config.ts";
export * from "./model/truncate.ts";
export * from "./operate/deployment-trace.ts";
export * from "./operate/rollback.ts";
export * from "./operate/stage-pin.ts";
export * from "./operate/stage-status.ts";
export type * from "./ports/builds.ts";
export type * from "./ports/diagnostic-log.ts";
export * from "./ports/github-reporter.ts";
export type * from "./ports/image-registry.ts";
export * from "./ports/infrastructure-errors.ts";
export * from "./ports/ledger.ts";
export * from "./ports/ledger-errors.ts";
export * from "./ports/retry.ts";
export type * from "./ports/workloads.ts";
export * from "./push/accept-push.ts";
export * from "./push/build-plan.ts";
export * from "./push/delivery-refusal.ts";
export * from "./push/push-origin.ts";
export * from "./push/receive-delivery.ts";
export * from "./report/lifecycle-ledger.ts";
export * from "./report/report-state.ts";
export * from "./report/supersede.ts";
