import { DnsLabel, GitHubRepositoryRef } from "./stage-config.ts";
import * as z from "./zod.ts";

const text = () => z.string().check(z.minLength(1));

/**
 * How a service's image is built: its own CodeBuild buildspec (which must export `IMAGE_URI`
 * as `repo@sha256:…`), or a Dockerfile and its context, which Slipway's generic buildspec
 * builds and pushes.
 */
export const ServiceBuild = z.union([
  z.strictObject({ buildspec: text() }),
  z.strictObject({
    dockerfile: text(),
    /** The build context, relative to the repository root. @default "." */
    context: z._default(text(), "."),
  }),
]);
export type ServiceBuild = z.infer<typeof ServiceBuild>;

/**
 * One service Slipway deploys, declared once (`infra/services/<name>.ts`): where its code is,
 * which branches deploy it to which stage, how it is built, and which Deployments run the
 * one image each build makes. Every stage gets, per service, its own ECR repository,
 * CodeBuild project, sequence, pin, history and GitHub context (`slipway/<stage>/<service>`),
 * and a deployer Role and admission policy limited to the service's namespace and Deployments.
 *
 * @example
 * { "name": "greeter", "repository": { "fullName": "acme/greeter", "id": 4242 },
 *   "stages": { "production": ["main"] }, "paths": ["examples/greeter/**"],
 *   "build": { "dockerfile": "examples/greeter/Dockerfile", "context": "." },
 *   "namespace": "greeter", "manifests": "k8s/services/greeter",
 *   "deployments": [{ "name": "greeter", "containers": ["greeter"] }] }
 */
export const ServiceDeclaration = z.strictObject({
  /** Names the service in resources, the ledger, GitHub contexts and `--service`. */
  name: DnsLabel,
  repository: GitHubRepositoryRef,
  /**
   * Branch globs per stage (`{ production: ["main"] }`); a stage not listed deploys its
   * own default branches (infra/settings.ts `branches`, else the stage's name).
   */
  stages: z._default(z.record(DnsLabel, z.array(text()).check(z.minLength(1))), {}),
  /** Path globs: a push that changes none of them builds nothing for this service. */
  paths: z.optional(z.array(text()).check(z.minLength(1))),
  build: ServiceBuild,
  /** The Kubernetes namespace of the service's Deployments; the deployer's Role is bound there only. */
  namespace: DnsLabel,
  /**
   * Whether the service serves the stage's `domain` (its web client is what the stage's ALB
   * serves there): its GitHub Deployments then link to it. @default false
   */
  servesDomain: z._default(z.boolean(), false),
  /**
   * The kustomize folder infra renders for the service, per overlay (`dev`, `production`),
   * or one folder for every stage. It must render the namespace and the deployer's Role.
   */
  manifests: z.union([text(), z.record(z.string(), text())]),
  /**
   * Kubernetes Secrets the apply function writes into the service's namespace from the
   * stage's workload secret (Secrets Manager), as Secret key → workload secret field; the
   * values never pass through infra's state. @default []
   */
  secrets: z._default(z.array(z.object({ name: DnsLabel, keys: z.record(text(), text()) })), []),
  /**
   * Environment variables infra sets to `"true"` when the stage serves HTTPS (it has a
   * certificate) and `"false"` when not, such as a web client's `Secure` cookie flag. @default []
   */
  httpsFlags: z._default(
    z.array(z.object({ deployment: DnsLabel, container: text(), env: text() })),
    [],
  ),
  /** The Deployments that run the service's image, and in each the containers that take it. */
  deployments: z
    .array(z.object({ name: DnsLabel, containers: z.array(text()).check(z.minLength(1)) }))
    .check(z.minLength(1)),
});
export type ServiceDeclaration = z.input<typeof ServiceDeclaration>;
export type ParsedServiceDeclaration = z.output<typeof ServiceDeclaration>;

/** Every service, checked together: names and namespaces may not collide. */
export const ServiceDeclarations = z.array(ServiceDeclaration).check(
  z.minLength(1),
  z.superRefine((services, ctx) => {
    const once = (key: (s: ParsedServiceDeclaration) => string, what: string) => {
      const keys = services.map(key);
      const twice = keys.find((k, i) => keys.indexOf(k) !== i);
      if (twice !== undefined) {
        ctx.addIssue({ code: "custom", message: `two services declare ${what} ${twice}` });
      }
    };
    once((s) => s.name, "the name");
    // One deployer Role and admission policy per namespace: a shared one would let one
    // service's deployer patch the other's Deployments.
    once((s) => s.namespace, "the namespace");
  }),
);
