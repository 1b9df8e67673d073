import { AppsV1Api, type KubeConfig, type V1Deployment, Watch } from "@kubernetes/client-node";
import type { WorkloadState, Workloads, WorkloadTarget } from "@slipway/core";

/** One change of a Deployment's pod template image, as the API server's watch reported it. */
export type ImageChange = {
  target: string;
  /** `metadata.generation` of the object that carries the new image: who wrote it is keyed on it. */
  generation: number;
  from: string | undefined;
  to: string | undefined;
  annotations: Readonly<Record<string, string>>;
};

/**
 * Every image change of the given Deployments, read as admin from the API server's own watch
 * (list, then watch from its resourceVersion, resumed where a watch ends), so the drill judges
 * the cluster's real history rather than what a handler said it did.
 */
export async function recordImageChanges(admin: KubeConfig, targets: readonly WorkloadTarget[]) {
  const apps = admin.makeApiClient(AppsV1Api);
  const namespace = targets[0]?.namespace ?? "";
  const byName = new Map(targets.map((t) => [t.name, t]));
  const images = new Map<string, string | undefined>();
  const seenVersion = new Map<string, number>();
  const changes: ImageChange[] = [];
  const imageIn = (d: V1Deployment) =>
    d.spec?.template.spec?.containers.find(
      (c) => c.name === byName.get(d.metadata?.name ?? "")?.container,
    )?.image;
  const see = (d: V1Deployment) => {
    const name = d.metadata?.name ?? "";
    if (!byName.has(name)) return;
    const image = imageIn(d);
    if (images.has(name) && images.get(name) !== image) {
      changes.push({
        target: name,
        generation: d.metadata?.generation ?? 0,
        from: images.get(name),
        to: image,
        annotations: { ...d.metadata?.annotations },
      });
    }
    images.set(name, image);
    seenVersion.set(name, Number(d.metadata?.resourceVersion));
  };
  const listed = await apps.listNamespacedDeployment({ namespace });
  for (const d of listed.items) see(d);
  let resourceVersion = listed.metadata?.resourceVersion ?? "0";
  let stopped = false;
  let current: AbortController | undefined;
  const state = { gaps: 0 };
  const watchFrom = async (): Promise<void> => {
    if (stopped) return;
    current = await new Watch(admin).watch(
      `/apis/apps/v1/namespaces/${namespace}/deployments`,
      { resourceVersion, allowWatchBookmarks: true, timeoutSeconds: 20 },
      (phase, object: V1Deployment) => {
        resourceVersion = object.metadata?.resourceVersion ?? resourceVersion;
        if (phase === "ADDED" || phase === "MODIFIED") see(object);
      },
      (error: unknown) => {
        // 410 Gone would mean changes were compacted away before the drill saw them.
        if (error && String(error).includes("410")) state.gaps += 1;
        if (!stopped) setTimeout(() => void watchFrom().catch(() => state.gaps++), 50);
      },
    );
  };
  await watchFrom();
  return {
    changes,
    state,
    /** Resolves once the watch has seen each Deployment's current version. */
    async caughtUp(timeoutMs = 15_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      for (const t of targets) {
        const now = await apps.readNamespacedDeployment({ name: t.name, namespace });
        const version = Number(now.metadata?.resourceVersion);
        while ((seenVersion.get(t.name) ?? 0) < version) {
          if (Date.now() > deadline) throw new Error(`the watch never caught up with ${t.name}`);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
    },
    stop() {
      stopped = true;
      current?.abort();
    },
  };
}

/** An image write Slipway made (through a deployer or the operator's identity), by generation. */
export type SlipwayWrite = { target: string; generation: number; image: string };

/** Wraps `setImage` so every write that landed is remembered with the generation it produced. */
export function recordingWrites(
  workloads: Workloads,
  writes: Map<string, SlipwayWrite>,
): Workloads {
  return {
    read: (t) => workloads.read(t),
    watch: (t, signal) => workloads.watch(t, signal),
    revisions: (t) => workloads.revisions(t),
    async setImage(t, change): Promise<WorkloadState> {
      const state = await workloads.setImage(t, change);
      const generation = state.snapshot.metadata?.generation ?? 0;
      writes.set(writeKey(t.name, generation), { target: t.name, generation, image: change.image });
      return state;
    },
  };
}

export const writeKey = (target: string, generation: number) => `${target}@${generation}`;
