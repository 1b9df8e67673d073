import { BlockList, isIPv4 } from "node:net";
import type {
  V1LabelSelector,
  V1NetworkPolicy,
  V1NetworkPolicyPeer,
} from "@kubernetes/client-node";

/**
 * What a set of NetworkPolicies allows, by the rules of the NetworkPolicy API, for the
 * flows a test names. The local control plane has no network plugin that enforces
 * policies (kwok runs no containers), so the tests judge the objects with this model and
 * the pods and addresses the real API server gives them.
 * @see https://kubernetes.io/docs/concepts/services-networking/network-policies/
 */
export type Endpoint = {
  ip: string;
  /** A pod's labels when the endpoint is a pod in the policies' namespace. */
  pod?: Record<string, string>;
};
export type Flow = { from: Endpoint; to: Endpoint; port: number; protocol?: "TCP" | "UDP" };

/** Whether the flow is allowed: egress from its source and ingress to its destination. */
export function allows(policies: readonly V1NetworkPolicy[], flow: Flow): boolean {
  const protocol = flow.protocol ?? "TCP";
  return (
    sideAllows(policies, "Egress", flow.from, flow.to, flow.port, protocol) &&
    sideAllows(policies, "Ingress", flow.to, flow.from, flow.port, protocol)
  );
}

function sideAllows(
  policies: readonly V1NetworkPolicy[],
  direction: "Ingress" | "Egress",
  self: Endpoint,
  peer: Endpoint,
  port: number,
  protocol: string,
): boolean {
  // Only pods are isolated; an address outside the namespace is not ours to judge.
  if (!self.pod) return true;
  const selecting = policies.filter(
    (p) =>
      selects(p.spec?.podSelector, self.pod ?? {}) &&
      (p.spec?.policyTypes ?? ["Ingress"]).includes(direction),
  );
  if (selecting.length === 0) return true;
  return selecting.some((policy) => {
    const rules = (direction === "Ingress" ? policy.spec?.ingress : policy.spec?.egress) ?? [];
    return rules.some((rule) => {
      // client-node names the ingress rule's `from` field `_from`.
      const peers = "_from" in rule ? rule._from : "to" in rule ? rule.to : undefined;
      const portMatches =
        !rule.ports ||
        rule.ports.some(
          (p) => (p.protocol ?? "TCP") === protocol && (p.port === undefined || p.port === port),
        );
      return portMatches && (!peers || peers.some((p) => peerMatches(p, peer)));
    });
  });
}

function peerMatches(peer: V1NetworkPolicyPeer, endpoint: Endpoint): boolean {
  if (peer.ipBlock) {
    if (!isIPv4(endpoint.ip)) return false;
    const inBlock = (cidr: string) => {
      const [network = "", bits = "32"] = cidr.split("/");
      const list = new BlockList();
      list.addSubnet(network, Number(bits), "ipv4");
      return list.check(endpoint.ip, "ipv4");
    };
    return inBlock(peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some(inBlock);
  }
  // A pod selector without a namespace selector means pods of the policy's own namespace.
  if (peer.namespaceSelector) return false;
  return endpoint.pod !== undefined && selects(peer.podSelector, endpoint.pod);
}

/** A label selector as the API server applies it (matchLabels and matchExpressions). */
export function selects(selector: V1LabelSelector | undefined, labels: Record<string, string>) {
  if (!selector) return true;
  const matchLabels = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const expressions = (selector.matchExpressions ?? []).every((e) => {
    const value = labels[e.key];
    switch (e.operator) {
      case "In":
        return value !== undefined && (e.values ?? []).includes(value);
      case "NotIn":
        return value === undefined || !(e.values ?? []).includes(value);
      case "Exists":
        return value !== undefined;
      case "DoesNotExist":
        return value === undefined;
      default:
        return false;
    }
  });
  return matchLabels && expressions;
}

/** A label selector as the `labelSelector` query parameter spells it. */
export function labelSelectorQuery(selector: V1LabelSelector | undefined): string {
  if (selector?.matchExpressions?.length) throw new Error("matchExpressions are not needed here");
  return Object.entries(selector?.matchLabels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
}
