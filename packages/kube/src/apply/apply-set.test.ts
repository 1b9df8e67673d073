import { describe, expect, it } from "vitest";
import {
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
} from "./apply-set.ts";

const object = (
  apiVersion: string,
  kind: string,
  name: string,
  namespace?: string,
): KubeObject => ({
  apiVersion,
  kind,
  metadata: { name, ...(namespace ? { namespace } : {}) },
});

describe("applySetId", () => {
  it("follows KEP-3659's format: applyset-<base64url sha256>-v1, a valid label value", () => {
    const id = applySetId({ name: "slipway-dev", namespace: "kube-system" });
    expect(id).toMatch(/^applyset-[A-Za-z0-9_-]{43}-v1$/);
    expect(id.length).toBeLessThanOrEqual(63);
  });

  it("differs per parent, so two stages on one cluster never prune each other", () => {
    expect(applySetId({ name: "slipway-dev", namespace: "kube-system" })).not.toBe(
      applySetId({ name: "slipway-alice", namespace: "kube-system" }),
    );
  });
});

describe("group-kinds and keys", () => {
  it("spells the core group as the bare kind and others as Kind.group", () => {
    expect(groupKind(object("v1", "Secret", "s"))).toBe("Secret");
    expect(groupKind(object("apps/v1", "Deployment", "d"))).toBe("Deployment.apps");
    expect(groupKind(object("networking.k8s.io/v1", "Ingress", "i"))).toBe(
      "Ingress.networking.k8s.io",
    );
  });

  it("keys an object by group-kind, namespace and name, not by version", () => {
    expect(objectKey(object("autoscaling/v2", "HorizontalPodAutoscaler", "h", "chat"))).toBe(
      objectKey(object("autoscaling/v1", "HorizontalPodAutoscaler", "h", "chat")),
    );
  });
});

describe("inApplyOrder", () => {
  it("puts namespaces first, secrets before workloads, and ingresses after the Services they route to", () => {
    const ordered = inApplyOrder([
      object("networking.k8s.io/v1", "Ingress", "web", "chat"),
      object("apps/v1", "Deployment", "web", "chat"),
      object("v1", "Service", "web", "chat"),
      object("v1", "Secret", "token", "chat"),
      object("v1", "Namespace", "chat"),
      object("autoscaling/v2", "HorizontalPodAutoscaler", "web", "chat"),
    ]).map((o) => o.kind);
    expect(ordered).toEqual([
      "Namespace",
      "Secret",
      "Service",
      "Deployment",
      "HorizontalPodAutoscaler",
      "Ingress",
    ]);
  });
});

describe("membership and scope", () => {
  it("labels every member with the set's id and leaves their other labels", () => {
    const [member] = asMembers(
      [
        {
          ...object("v1", "Service", "web", "chat"),
          metadata: { name: "web", namespace: "chat", labels: { app: "web" } },
        },
      ],
      "applyset-x-v1",
    );
    expect(member?.metadata.labels).toEqual({
      app: "web",
      "applyset.kubernetes.io/part-of": "applyset-x-v1",
    });
  });

  it("records every group-kind and namespace, and reads them back from the parent", () => {
    const scope = scopeOf([
      object("v1", "Namespace", "chat"),
      object("apps/v1", "Deployment", "web", "chat"),
      object("v1", "Secret", "s", "other"),
    ]);
    expect(scope).toEqual({
      groupKinds: ["Deployment.apps", "Namespace", "Secret"],
      namespaces: ["chat", "other"],
    });
    const parent = parentObject({ name: "p", namespace: "kube-system" }, scope);
    expect(scopeFromParent(parent.metadata.annotations)).toEqual(scope);
    expect(scopeFromParent(undefined)).toEqual({ groupKinds: [], namespaces: [] });
  });
});

describe("toPrune", () => {
  it("deletes only members the new set no longer holds, ingresses first and namespaces last", () => {
    const found = [
      object("v1", "Namespace", "old"),
      object("apps/v1", "Deployment", "web", "chat"),
      object("networking.k8s.io/v1", "Ingress", "grpc", "chat"),
      object("apps/v1", "Deployment", "gone", "chat"),
    ];
    const pruned = toPrune(found, [object("apps/v1", "Deployment", "web", "chat")]).map(objectKey);
    expect(pruned).toEqual([
      "Ingress.networking.k8s.io/chat/grpc",
      "Deployment.apps/chat/gone",
      "Namespace//old",
    ]);
  });
});
