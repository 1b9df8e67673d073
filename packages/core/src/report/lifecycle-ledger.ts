import type { DeploymentRecord } from "../model/deployment-record.ts";
import { DeploymentState } from "../model/deployment-state.ts";
import { describeError } from "../model/describe-error.ts";
import type {
  LifecycleDetail,
  LifecyclePublisher,
  LifecycleStatus,
} from "../model/lifecycle-event.ts";
import type { DiagnosticLog } from "../ports/diagnostic-log.ts";
import type { Ledger } from "../ports/ledger.ts";
import { githubEnvironment } from "./report-state.ts";

export type LifecycleLinks = {
  /** The stage's app URL, when it has one. */
  appUrl?: string;
  /** GitHub's web root, for the deployment link; default https://github.com. */
  githubWebUrl?: string;
};

/** A ledger that publishes a lifecycle event for each state change it applies. */
export type PublishingLedger<L extends Ledger = Ledger> = L & {
  /** Resolves once every event started so far is published or dropped; never rejects. */
  settled(): Promise<void>;
};

/**
 * Wraps a ledger so that every state change it applies (a recorded deployment is `queued`,
 * each applied transition its new state, a build's failure `build_failed`) is published.
 * Decorating the port, rather than calling the publisher from each use case, makes "every
 * state change" true by construction, including the CLI's. Publishing runs beside the use
 * case so PutEvents latency never delays a patch; a handler awaits `settled()` before it
 * returns. A failed publish is the publisher's to report (log + metric): it never fails or
 * undoes the state change.
 */
export function withLifecycleEvents<L extends Ledger>(
  ledger: L,
  options: { publisher: LifecyclePublisher; log: DiagnosticLog; links?: LifecycleLinks },
): PublishingLedger<L> {
  const inFlight = new Set<Promise<void>>();
  const publish = (record: DeploymentRecord, status: LifecycleStatus) => {
    const detail = lifecycleDetailOf(record, status, options.links ?? {});
    const sent = options.publisher
      .publish([detail])
      .then(() => undefined)
      .catch((error: unknown) => {
        // The port promises not to throw; if an adapter does anyway, the deploy still stands.
        options.log.warn("lifecycle event not published", {
          status,
          sequence: record.sequence,
          error: describeError(error),
        });
      })
      .finally(() => inFlight.delete(sent));
    inFlight.add(sent);
  };
  return {
    ...ledger,
    async recordDeployment(record) {
      const outcome = await ledger.recordDeployment(record);
      if (outcome.kind === "recorded") publish(record, record.state);
      return outcome;
    },
    async transition(key, change) {
      const outcome = await ledger.transition(key, change);
      if (outcome.kind === "applied") {
        const buildFailed =
          change.to === DeploymentState.failed && !change.from.includes(DeploymentState.deploying);
        publish(outcome.record, buildFailed ? "build_failed" : change.to);
      }
      return outcome;
    },
    async settled() {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
  };
}

/** The event detail of a deployment in a given state: the ledger's record, as subscribers see it. */
export function lifecycleDetailOf(
  record: DeploymentRecord,
  status: LifecycleStatus,
  links: LifecycleLinks,
): LifecycleDetail {
  const last = record.transitions.at(-1);
  const github = links.githubWebUrl ?? "https://github.com";
  const optional = <K extends string>(name: K, value: string | undefined) =>
    value === undefined ? {} : ({ [name]: value } as Record<K, string>);
  return {
    status,
    stage: record.stage,
    service: record.service,
    repository: `${record.repository.owner}/${record.repository.name}`,
    commit: record.commit,
    sequence: record.sequence,
    deliveryId: record.deliveryId,
    buildId: record.buildId,
    ...optional("imageDigest", record.imageDigest),
    ...optional("previousDigest", record.previousDigest),
    ...optional("reason", record.reason?.slice(0, 2048)),
    at: last?.at ?? record.updatedAt,
    links: {
      buildLog: record.logUrl,
      ...(record.githubDeploymentId === undefined
        ? {}
        : {
            // GitHub has no web page per deployment id; the environment's deployments list it.
            githubDeployment: `${github}/${record.repository.owner}/${record.repository.name}/deployments/${encodeURIComponent(githubEnvironment(record))}`,
          }),
      ...optional("appUrl", links.appUrl),
    },
  };
}
