import type { DeploymentRecord } from "../model/deployment-record.ts";
import { DeploymentState } from "../model/deployment-state.ts";
import { githubEnvironment } from "../report/report-state.ts";

/** The steps of one push's way to a verdict, in the order they happen. */
export const TraceStep = {
  pushReceived: "push received",
  buildStarted: "build started",
  buildFinished: "build finished",
  held: "held by pin",
  patchSent: "patch sent",
  rolloutComplete: "rollout complete",
  rollingBack: "rolling back",
  rolledBack: "rolled back",
  replaced: "replaced by hand",
  failed: "failed",
  superseded: "superseded",
  operatorRollback: "rolled back by operator",
} as const;
export type TraceStep = (typeof TraceStep)[keyof typeof TraceStep];

export type TraceEntry = {
  step: TraceStep;
  at: string;
  /** Milliseconds since the previous step; undefined for the first. */
  sincePreviousMs?: number;
  detail?: string;
};

export type DeploymentTrace = {
  stage: string;
  service: string;
  sequence: number;
  deliveryId: string;
  commit: string;
  state: DeploymentState;
  steps: TraceEntry[];
  links: { buildLog: string; githubDeployment?: string };
};

const verdicts: Partial<Record<DeploymentState, TraceStep>> = {
  [DeploymentState.succeeded]: TraceStep.rolloutComplete,
  [DeploymentState.rolledBack]: TraceStep.rolledBack,
  [DeploymentState.replaced]: TraceStep.replaced,
  [DeploymentState.failed]: TraceStep.failed,
  [DeploymentState.superseded]: TraceStep.superseded,
};

/**
 * One push's timeline from its ledger record: when each step happened and how long it took
 * since the one before. Pure: the record's own timestamps are the only clock.
 */
export function traceDeployment(
  record: DeploymentRecord,
  options: { githubWebUrl?: string } = {},
): DeploymentTrace {
  const steps: Omit<TraceEntry, "sincePreviousMs">[] = [];
  const add = (step: TraceStep, at: string | undefined, detail?: string) => {
    if (at !== undefined) steps.push({ step, at, ...(detail ? { detail } : {}) });
  };
  const queued = record.transitions.find((t) => t.state === DeploymentState.queued);
  add(TraceStep.pushReceived, record.receivedAt ?? queued?.at, `delivery ${record.deliveryId}`);
  add(TraceStep.buildStarted, queued?.at, record.buildId);
  const finished = record.transitions.find(
    (t) =>
      t.state === DeploymentState.deploying ||
      t.state === DeploymentState.held ||
      (t.state === DeploymentState.failed &&
        !record.transitions.some((u) => u.state === DeploymentState.deploying)),
  );
  add(TraceStep.buildFinished, finished?.at, record.imageDigest);
  add(TraceStep.held, record.transitions.find((t) => t.state === DeploymentState.held)?.at);
  add(TraceStep.patchSent, record.patchedAt);
  const rollingBack = record.transitions.find((t) => t.state === DeploymentState.rollingBack);
  if (record.state !== DeploymentState.rollingBack) add(TraceStep.rollingBack, rollingBack?.at);
  const verdict = record.transitions.findLast((t) => verdicts[t.state] !== undefined);
  if (verdict) add(verdicts[verdict.state] as TraceStep, verdict.at, record.reason);
  const rollback = record.operatorRollback;
  if (rollback) {
    add(
      TraceStep.operatorRollback,
      rollback.at,
      `by ${rollback.by} to ${rollback.toCommit?.slice(0, 7) ?? rollback.toImage}`,
    );
  }
  // Stable: steps with the same instant keep their causal order.
  const ordered = steps
    .map((s, i) => ({ s, i }))
    .sort((a, b) => Date.parse(a.s.at) - Date.parse(b.s.at) || a.i - b.i)
    .map(({ s }) => s);
  const github = options.githubWebUrl ?? "https://github.com";
  const { owner, name } = record.repository;
  return {
    stage: record.stage,
    service: record.service,
    sequence: record.sequence,
    deliveryId: record.deliveryId,
    commit: record.commit,
    state: record.state,
    steps: ordered.map((s, i) => {
      const previous = ordered[i - 1];
      return previous === undefined
        ? s
        : { ...s, sincePreviousMs: Date.parse(s.at) - Date.parse(previous.at) };
    }),
    links: {
      buildLog: record.logUrl,
      ...(record.githubDeploymentId === undefined
        ? {}
        : {
            githubDeployment: `${github}/${owner}/${name}/deployments/${encodeURIComponent(githubEnvironment(record))}`,
          }),
    },
  };
}

/** The deployments a trace query names: a delivery id exactly, or a commit by its SHA prefix. */
export function matchTraceQuery(
  records: readonly DeploymentRecord[],
  query: string,
): DeploymentRecord[] {
  const wanted = query.toLowerCase();
  const byDelivery = records.filter((r) => r.deliveryId === query);
  if (byDelivery.length > 0) return byDelivery;
  return wanted.length >= 7 ? records.filter((r) => r.commit.startsWith(wanted)) : [];
}

/** A duration as people read it: 850 ms, 4.2 s, 3 min 5 s. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}
