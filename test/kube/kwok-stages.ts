import { readFile } from "node:fs/promises";

// kwok run on its own has no stages ("no stages found"), so nodes and pods
// would never change. These are kwok's own "fast" stages plus the lease
// heartbeat, copied from its module (see the header of each file).
const stageFiles = [
  "node-initialize.yaml",
  "node-heartbeat-with-lease.yaml",
  "pod-ready.yaml",
  "pod-complete.yaml",
  "pod-delete.yaml",
] as const;

/**
 * A pod whose image digest starts with this hex never becomes Ready (kwok's pod-ready stage
 * skips it), so its rollout misses its progress deadline as a build whose image crashes would.
 * Only this local control plane honours it, not a cluster named by KUBECONFIG.
 */
export const neverReadyDigestPrefix = "badbad";

/** The `n`th image under `repository` that never becomes Ready on the local control plane. */
export function neverReadyImage(n: number, repository: string): string {
  return `${repository}@sha256:${neverReadyDigestPrefix}${n.toString(16).padStart(58, "0")}`;
}

/**
 * The multi-document YAML for kwok's --config. It must hold only Stage
 * documents: a KwokConfiguration in the same file replaces kwok's defaults
 * (then "node leases parallelism must be greater than 0"), so options go on
 * the command line instead.
 *
 * `podReadyDelayMs` holds each new pod in Pending for that long, so a test
 * can watch a rollout while it is in progress.
 */
export async function kwokStagesYaml(opts: { podReadyDelayMs?: number } = {}): Promise<string> {
  const docs = await Promise.all(
    stageFiles.map(async (file) => {
      const text = await readFile(new URL(`./stages/${file}`, import.meta.url), "utf8");
      if (file !== "pod-ready.yaml") return text;
      const ready = withNeverReady(text);
      return opts.podReadyDelayMs ? withDelay(ready, opts.podReadyDelayMs) : ready;
    }),
  );
  return docs.map((doc) => doc.trimEnd()).join("\n---\n");
}

// Stage.spec.delay, as in kwok's pod/general stages.
function withDelay(stage: string, ms: number): string {
  const delayed = stage.replace(
    /^spec:\n/m,
    `spec:\n  delay:\n    durationMilliseconds: ${Math.round(ms)}\n`,
  );
  if (delayed === stage)
    throw new Error("pod-ready stage has no top-level spec: to add a delay to");
  return delayed;
}

// One more requirement of pod-ready: no container's image carries the never-ready digest.
function withNeverReady(stage: string): string {
  const requirement =
    `    - key: '.spec.containers.[] | select( .image | contains("@sha256:${neverReadyDigestPrefix}") ) | .name'\n` +
    "      operator: 'DoesNotExist'\n";
  const marked = stage.replace(/^ {4}matchExpressions:\n/m, (list) => `${list}${requirement}`);
  if (marked === stage) throw new Error("pod-ready stage has no selector.matchExpressions");
  return marked;
}
