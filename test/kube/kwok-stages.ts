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
      return file === "pod-ready.yaml" && opts.podReadyDelayMs
        ? withDelay(text, opts.podReadyDelayMs)
        : text;
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
