import { ApisApi, type KubeConfig, type KubernetesObject } from "@kubernetes/client-node";
import { RefusedError, type RetryPolicy, retryTransient, TransientError } from "@slipway/core";
import { kubeCall } from "../kube-errors.ts";
import { ManifestError, StillTerminatingError } from "./apply-errors.ts";
import {
  type ApplySetParent,
  type ApplySetScope,
  applySetId,
  asMembers,
  groupKind,
  inApplyOrder,
  type KubeObject,
  objectKey,
  parentObject,
  scopeFromParent,
  scopeOf,
  toPrune,
  unionScope,
} from "./apply-set.ts";
import {
  bootstrapFields,
  newContainers,
  withBootstrapImage,
  withoutDeployerFields,
} from "./deployment-ownership.ts";
import { objectApi } from "./object-api.ts";

export type ClusterObjectsOptions = {
  config: KubeConfig;
  /** The ApplySet's parent ConfigMap; one per stage. */
  parent: ApplySetParent;
  /**
   * Image a Deployment is created with before the deployer's first rollout: the API server
   * refuses a container without one (422 `image: Required value`).
   */
  bootstrapImage: string;
  /** Deadline of each API call. @default 15_000 */
  requestTimeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
};

export type ApplyReport = {
  /** Always true: infra accepts only an explicit report, never a bare 200 from a stub. */
  ok: true;
  /** Every object applied, as `Kind.group/namespace/name`. */
  applied: string[];
  /** Deployments created by this run (with the bootstrap image). */
  created: string[];
  /** Members the new set no longer holds, deleted. */
  pruned: string[];
};

/** The field manager of infra's own fields; the deployer's patches use another. */
export const infraFieldManager = "slipway-infra";
/** Holds the first image and replica count until the deployer and the autoscaler take them. */
export const bootstrapFieldManager = "slipway-bootstrap";

/** API servers that are just starting, or whose admission webhooks are not ready, answer 5xx for a while. */
const applyRetry: RetryPolicy = { attempts: 8, baseDelayMs: 500, maxDelayMs: 8_000 };

/**
 * Keeps a stage's objects in its cluster as one ApplySet: server-side apply of every manifest
 * (infra's field manager, forced, so a hand edit of an infra field is put back), then pruning
 * of members the set no longer holds. It never waits for an object to become ready: nothing
 * here may depend on a pod, a load balancer or an endpoint that a later step creates.
 */
export function createClusterObjects(options: ClusterObjectsOptions) {
  const api = objectApi(options.config, options.requestTimeoutMs ?? 15_000);
  const apis = options.config.makeApiClient(ApisApi);
  const id = applySetId(options.parent);
  const retry = {
    sleep: options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms))),
    random: options.random ?? Math.random,
  };
  const call = <T>(operation: string, fn: () => Promise<T>) =>
    retryTransient(retry, applyRetry, () => kubeCall(operation, fn).catch(unauthorizedIsTransient));

  const ssa = (object: KubeObject, fieldManager: string) =>
    call(`apply ${objectKey(object)}`, () => api.applyAsWritten(object, fieldManager));

  const read = async (object: KubeObject): Promise<KubernetesObject | undefined> => {
    try {
      return await call(`get ${objectKey(object)}`, () => api.read(object as never));
    } catch (error) {
      if (error instanceof RefusedError && error.status === 404) return undefined;
      throw error;
    }
  };

  /** The kind as the server serves it, or undefined when its group or version is unknown (404). */
  const discover = async (apiVersion: string, kind: string) => {
    try {
      return await call(`discover ${apiVersion} ${kind}`, () => api.discover(apiVersion, kind));
    } catch (error) {
      if (error instanceof RefusedError && error.status === 404) return undefined;
      throw error;
    }
  };

  /** Resolves each object's kind on the server; refuses the whole set before writing anything. */
  async function validate(objects: readonly KubeObject[]): Promise<void> {
    const problems: string[] = [];
    for (const object of objects) {
      const resource = await discover(object.apiVersion, object.kind);
      const key = objectKey(object);
      if (!resource)
        problems.push(`${key}: the server has no kind ${object.apiVersion}/${object.kind}`);
      else if (resource.namespaced && !object.metadata.namespace) {
        problems.push(`${key}: a namespaced ${object.kind} needs metadata.namespace`);
      } else if (!resource.namespaced && object.metadata.namespace) {
        problems.push(`${key}: a cluster-scoped ${object.kind} cannot have a namespace`);
      }
    }
    const keys = objects.map(objectKey);
    const duplicated = keys.filter((key, index) => keys.indexOf(key) !== index);
    for (const key of new Set(duplicated)) problems.push(`${key}: listed twice`);
    if (problems.length > 0) throw new ManifestError(problems);
  }

  async function applyDeployment(deployment: KubeObject, report: ApplyReport): Promise<void> {
    const existing = await read(deployment);
    if (!existing) {
      // Created whole with the bootstrap image, which the bootstrap manager then co-owns, so
      // the image and replica count outlive infra's next apply, which sends neither.
      await ssa(withBootstrapImage(deployment, options.bootstrapImage), infraFieldManager);
      await ssa(bootstrapFields(deployment, options.bootstrapImage), bootstrapFieldManager);
      report.created.push(objectKey(deployment));
    } else {
      // A container added since: it needs an image before infra's fields can join it.
      const added = newContainers(deployment, existing);
      if (added.length > 0) {
        await ssa(
          bootstrapFields(deployment, options.bootstrapImage, added),
          bootstrapFieldManager,
        );
      }
    }
    await ssa(withoutDeployerFields(deployment), infraFieldManager);
  }

  let versions: Promise<Map<string, string>> | undefined;
  /** The preferred version of each API group, to list members by their group-kind. */
  const preferredVersions = () => {
    versions ??= call("discover API groups", () => apis.getAPIVersions()).then(
      (list) =>
        new Map(
          list.groups.map((group) => [group.name, group.preferredVersion?.groupVersion ?? ""]),
        ),
    );
    return versions;
  };

  async function members(scope: ApplySetScope): Promise<KubeObject[]> {
    const found: KubeObject[] = [];
    const groups = await preferredVersions();
    for (const gk of scope.groupKinds) {
      const dot = gk.indexOf(".");
      const kind = dot < 0 ? gk : gk.slice(0, dot);
      const apiVersion = dot < 0 ? "v1" : groups.get(gk.slice(dot + 1));
      if (!apiVersion) continue; // the group is gone (a CRD removed): nothing left to prune
      const resource = await discover(apiVersion, kind);
      if (!resource) continue;
      const namespaces = resource.namespaced ? scope.namespaces : [undefined];
      for (const namespace of namespaces) {
        const list = await call(`list ${gk} in ${namespace ?? "the cluster"}`, () =>
          api.list(
            apiVersion,
            kind,
            namespace,
            undefined,
            undefined,
            undefined,
            undefined,
            `applyset.kubernetes.io/part-of=${id}`,
          ),
        );
        for (const item of list.items) {
          found.push({
            apiVersion,
            kind,
            metadata: {
              name: item.metadata?.name ?? "",
              ...(item.metadata?.namespace ? { namespace: item.metadata.namespace } : {}),
            },
          });
        }
      }
    }
    return found;
  }

  async function remove(object: KubeObject): Promise<void> {
    try {
      await call(`delete ${objectKey(object)}`, () =>
        api.delete(
          object as KubernetesObject,
          undefined,
          undefined,
          undefined,
          undefined,
          "Background",
        ),
      );
    } catch (error) {
      if (!(error instanceof RefusedError && error.status === 404)) throw error;
    }
  }

  const parentSpec = parentObject(options.parent, { groupKinds: [], namespaces: [] });
  async function recordedScope(): Promise<ApplySetScope> {
    const parent = await read(parentSpec);
    return scopeFromParent(parent?.metadata?.annotations);
  }

  /** Applies `objects` as the whole set and prunes what it no longer holds. */
  async function apply(objects: readonly KubeObject[]): Promise<ApplyReport> {
    await validate(objects);
    const desired = asMembers(inApplyOrder(objects), id);
    const scope = scopeOf(desired);
    // The parent names the wider scope first, so a run cut short still prunes next time.
    const previous = await recordedScope();
    await ssa(parentObject(options.parent, unionScope(previous, scope)), infraFieldManager);

    const report: ApplyReport = { ok: true, applied: [], created: [], pruned: [] };
    for (const object of desired) {
      if (object.kind === "Deployment" && groupKind(object) === "Deployment.apps") {
        await applyDeployment(object, report);
      } else {
        await ssa(object, infraFieldManager);
      }
      report.applied.push(objectKey(object));
    }

    for (const stale of toPrune(await members(unionScope(previous, scope)), desired)) {
      await remove(stale);
      report.pruned.push(objectKey(stale));
    }
    await ssa(parentObject(options.parent, scope), infraFieldManager);
    return report;
  }

  /**
   * Deletes every member and waits until none is left, so that controllers outside the
   * cluster (the load balancer behind an Ingress) have cleaned up before the cluster goes.
   */
  async function removeAll(deadline: Date): Promise<ApplyReport> {
    const scope = await recordedScope();
    const found = await members(scope);
    const pruned = toPrune(found, []);
    for (const object of pruned) await remove(object);
    for (;;) {
      const left = await members(scope);
      if (left.length === 0) break;
      if (Date.now() >= deadline.getTime()) {
        throw new StillTerminatingError(left.map(objectKey));
      }
      await retry.sleep(2_000);
    }
    await remove(parentSpec);
    return { ok: true, applied: [], created: [], pruned: pruned.map(objectKey) };
  }

  return { apply, removeAll };
}

export type ClusterObjects = ReturnType<typeof createClusterObjects>;

/**
 * A new EKS access entry takes a few seconds to reach the API server, and the apply runs
 * right after infra creates it: a 401 then means "not yet", not "never".
 */
function unauthorizedIsTransient(error: unknown): never {
  if (error instanceof RefusedError && error.status === 401) {
    throw new TransientError(`${error.operation} (HTTP 401, access entry not yet in effect)`, {
      cause: error,
    });
  }
  throw error;
}
