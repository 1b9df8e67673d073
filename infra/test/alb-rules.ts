import type { KubeObject } from "../workload-objects.ts";

/**
 * The ALB listeners and rules the load balancer controller builds from an Ingress group,
 * modelled on its own rules (aws-load-balancer-controller v2.14.0, whose code EKS Auto Mode's
 * controller shares), so a test can ask where a request path goes:
 * - members are ordered by `group.order` (default 0), then by namespace/name
 *   (pkg/ingress/group_loader.go `sortGroupMembers`);
 * - within an Ingress, Exact paths come first, then Prefix paths longest first, then
 *   ImplementationSpecific paths as listed (pkg/ingress/model_build_listener_rules.go
 *   `sortIngressPaths`);
 * - Prefix `/` becomes `/*`; any other Prefix `p` becomes `p` and `p/*` (a trailing slash
 *   trimmed); Exact and ImplementationSpecific paths are used as written
 *   (`buildPathPatternsForPrefixPathType`);
 * - an HTTP listener of a group with `ssl-redirect` gets no rules, only the redirect;
 * - rules get priorities 1, 2, … in that order, and the ALB takes the first rule that matches,
 *   where `*` matches any run of characters and `?` one, case-sensitively.
 * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/application/rule-condition-types.html#path-conditions
 */

export type Listener = { protocol: "HTTP" | "HTTPS"; port: number };
export type Route =
  | { kind: "forward"; service: string; port: string | number; protocolVersion: "HTTP1" | "GRPC" }
  | { kind: "redirect-to-https" }
  | { kind: "default-404" };

type Path = {
  path?: string;
  pathType?: "Exact" | "Prefix" | "ImplementationSpecific";
  backend: { service: { name: string; port: { name?: string; number?: number } } };
};
type IngressSpec = { rules?: Array<{ http?: { paths: Path[] } }> };

const key = {
  order: "alb.ingress.kubernetes.io/group.order",
  listenPorts: "alb.ingress.kubernetes.io/listen-ports",
  sslRedirect: "alb.ingress.kubernetes.io/ssl-redirect",
  protocolVersion: "alb.ingress.kubernetes.io/backend-protocol-version",
} as const;

/** Listeners an Ingress asks for; the controller's default is HTTP 80. */
function listenersOf(ingress: KubeObject): Listener[] {
  const raw = ingress.metadata.annotations?.[key.listenPorts];
  if (!raw) return [{ protocol: "HTTP", port: 80 }];
  return (JSON.parse(raw) as Array<Record<string, number>>).flatMap((entry) =>
    Object.entries(entry).map(([protocol, port]) => ({
      protocol: protocol as Listener["protocol"],
      port,
    })),
  );
}

export function patternsOf(path: Path): string[] {
  const value = path.path ?? "/";
  if (path.pathType === "Prefix") {
    if (value === "/") return ["/*"];
    const trimmed = value.replace(/\/$/, "");
    return [trimmed, `${trimmed}/*`];
  }
  return [value];
}

function sortedPaths(paths: Path[]): Path[] {
  const exact = paths.filter((p) => p.pathType === "Exact");
  const prefix = paths.filter((p) => p.pathType === "Prefix");
  const rest = paths.filter((p) => p.pathType !== "Exact" && p.pathType !== "Prefix");
  // Array.prototype.sort is stable, as Go's sort.SliceStable.
  return [
    ...exact,
    ...prefix.sort((a, b) => (b.path ?? "").length - (a.path ?? "").length),
    ...rest,
  ];
}

/** ALB path pattern matching: `*` any run of characters, `?` exactly one, case-sensitive. */
export function matchesPattern(pattern: string, path: string): boolean {
  const regex = pattern
    .split("")
    .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${regex}$`).test(path);
}

export type AlbModel = {
  listeners: Listener[];
  route(listener: Listener, path: string): Route;
};

/** The ALB the group of `objects`' Ingresses becomes. */
export function albFor(objects: readonly KubeObject[]): AlbModel {
  const members = objects
    .filter((o) => o.kind === "Ingress")
    .map((ingress) => ({
      ingress,
      order: Number(ingress.metadata.annotations?.[key.order] ?? 0),
      name: `${ingress.metadata.namespace ?? ""}/${ingress.metadata.name}`,
    }))
    .sort((a, b) => a.order - b.order || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((m) => m.ingress);
  const sslRedirect = members.some((m) => m.metadata.annotations?.[key.sslRedirect] !== undefined);
  const listeners = [
    ...new Map(members.flatMap(listenersOf).map((l) => [`${l.protocol}:${l.port}`, l])).values(),
  ];

  const rulesFor = (listener: Listener) =>
    members
      .filter((m) =>
        listenersOf(m).some((l) => l.protocol === listener.protocol && l.port === listener.port),
      )
      .flatMap((ingress) =>
        ((ingress.spec as IngressSpec | undefined)?.rules ?? []).flatMap((rule) =>
          sortedPaths(rule.http?.paths ?? []).map((path) => ({
            patterns: patternsOf(path),
            route: {
              kind: "forward" as const,
              service: path.backend.service.name,
              port: path.backend.service.port.name ?? path.backend.service.port.number ?? 0,
              protocolVersion: (ingress.metadata.annotations?.[key.protocolVersion] === "GRPC"
                ? "GRPC"
                : "HTTP1") as "HTTP1" | "GRPC",
            },
          })),
        ),
      );

  return {
    listeners,
    route(listener, path) {
      if (!listeners.some((l) => l.protocol === listener.protocol && l.port === listener.port)) {
        throw new Error(`the ALB has no ${listener.protocol}:${listener.port} listener`);
      }
      if (listener.protocol === "HTTP" && sslRedirect) return { kind: "redirect-to-https" };
      const rule = rulesFor(listener).find((r) => r.patterns.some((p) => matchesPattern(p, path)));
      return rule ? rule.route : { kind: "default-404" };
    },
  };
}

/** Every gRPC method path (`/package.Service/Method`) a .proto file declares. */
export function grpcMethodPaths(proto: string): string[] {
  const pkg = /^\s*package\s+([\w.]+)\s*;/m.exec(proto)?.[1];
  if (!pkg) throw new Error("the proto declares no package");
  const paths: string[] = [];
  for (const service of proto.matchAll(/service\s+(\w+)\s*\{([\s\S]*?)\n\}/g)) {
    for (const rpc of (service[2] ?? "").matchAll(/\brpc\s+(\w+)\s*\(/g)) {
      paths.push(`/${pkg}.${service[1]}/${rpc[1]}`);
    }
  }
  return paths;
}
