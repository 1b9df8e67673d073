import type { V1Deployment } from "@kubernetes/client-node";
import {
  backoffDelay,
  RefusedError,
  TransientError,
  type WorkloadState,
  type WorkloadTarget,
  workloadName,
} from "@slipway/core";
import type { ApiConnection } from "./api-connection.ts";
import { translateKubeError } from "./kube-errors.ts";
import { toWorkloadState } from "./workload-state.ts";

export type FollowOptions = {
  /** Reads the Deployment (get), for the first state and after a broken or expired watch. */
  read: (target: WorkloadTarget) => Promise<WorkloadState>;
  /** The server ends each watch after this long and it is resumed. */
  watchSeconds: number;
  /** Consecutive failures (of reads or watches) tolerated before TransientError escapes. */
  maxFailures: number;
  sleep: (ms: number) => Promise<void>;
};

type WatchEvent = { type: string; object: unknown };

/** A watch that hears nothing this long past its own timeout is on a dead connection. */
const watchGraceMs = 10_000;

/**
 * The Deployment's state now and after each change. It watches one object by name
 * (fieldSelector `metadata.name`), which the `watch` verb allows without `list`, resuming
 * from the last resourceVersion when the server ends a watch; after an error or 410 Gone it
 * reads the object again, so no change is missed.
 * @see https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes
 */
export async function* followDeployment(
  connection: ApiConnection,
  target: WorkloadTarget,
  signal: AbortSignal,
  options: FollowOptions,
): AsyncGenerator<WorkloadState> {
  const name = workloadName(target);
  const path = `/apis/apps/v1/namespaces/${encodeURIComponent(target.namespace)}/deployments`;
  let failures = 0;
  let resourceVersion: string | undefined;
  const fail = async (error: unknown) => {
    failures++;
    if (failures >= options.maxFailures) {
      throw error instanceof TransientError
        ? error
        : new TransientError(`watch ${name}`, { cause: error });
    }
    await options.sleep(
      backoffDelay(
        { attempts: options.maxFailures, baseDelayMs: 200, maxDelayMs: 2_000 },
        failures,
        Math.random,
      ),
    );
  };

  while (!signal.aborted) {
    if (resourceVersion === undefined) {
      try {
        const state = await options.read(target);
        resourceVersion = state.resourceVersion;
        yield state;
      } catch (error) {
        if (error instanceof RefusedError) throw error;
        await fail(error);
        continue;
      }
    }
    const query = new URLSearchParams({
      watch: "true",
      fieldSelector: `metadata.name=${target.name}`,
      resourceVersion,
      allowWatchBookmarks: "true",
      timeoutSeconds: String(options.watchSeconds),
    });
    try {
      const events = connection.watch(`${path}?${query}`, {
        signal,
        idleMs: options.watchSeconds * 1000 + watchGraceMs,
      });
      for await (const raw of events) {
        const event = raw as WatchEvent;
        if (event.type === "ADDED" || event.type === "MODIFIED") {
          const state = toWorkloadState(event.object as V1Deployment, target);
          resourceVersion = state.resourceVersion;
          failures = 0;
          yield state;
        } else if (event.type === "BOOKMARK") {
          resourceVersion =
            (event.object as V1Deployment).metadata?.resourceVersion ?? resourceVersion;
        } else if (event.type === "DELETED") {
          throw new RefusedError(`watch ${name}: the Deployment was deleted`, 404);
        } else if (event.type === "ERROR") {
          // 410 Gone: the resourceVersion is too old to resume from; read afresh.
          resourceVersion = undefined;
          if ((event.object as { code?: number }).code !== 410)
            await fail(new TransientError(`watch ${name}`));
          break;
        }
      }
    } catch (error) {
      if (error instanceof RefusedError || error instanceof TransientError) throw error;
      if (signal.aborted) return;
      resourceVersion = undefined;
      const translated = translateKubeError(`watch ${name}`, error);
      if (translated instanceof RefusedError) throw translated;
      await fail(translated);
    }
  }
}
