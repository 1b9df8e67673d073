import { DnsLabel, WorkloadTarget } from "./stage-config.ts";
import * as z from "./zod.ts";

/**
 * What one stage's deployer rolls out for one service: every Deployment that runs the
 * service's single image (DESIGN rule 4), and what GitHub is told about the environment.
 *
 * @example
 * { "stage": "dev", "service": "chat", "codebuildProject": "slipway-dev-chat",
 *   "environmentUrl": "https://chat.example.com", "production": false,
 *   "deployments": [{ "namespace": "chat", "name": "chat-server", "container": "server" },
 *                   { "namespace": "chat", "name": "chat-web", "container": "web" }] }
 */
export const DeployTarget = z.object({
  stage: z.string().check(z.minLength(1)),
  service: DnsLabel,
  /** The CodeBuild project that builds this service: a build of any other is not its. */
  codebuildProject: z.optional(z.string().check(z.minLength(2))),
  deployments: z.array(WorkloadTarget).check(z.minLength(1)),
  environmentUrl: z.optional(z.url()),
  production: z._default(z.boolean(), false),
  /**
   * Only images under this repository, by a digest it holds, are rolled out (Stage
   * `imageRepository`): a forged or foreign `IMAGE_URI` fails the build.
   */
  imageRepository: z.string().check(z.minLength(1)),
});
export type DeployTarget = z.infer<typeof DeployTarget>;

/** What an operator's rollback, pin and status act on: one service's lane and its Deployments, no registry. */
export type OperatedStage = Pick<DeployTarget, "stage" | "service" | "deployments">;

/**
 * Parses `chat-server:server,chat-web:web` (Deployment:container pairs) in one namespace.
 * The container must be named: a Deployment may run sidecars that must keep their image.
 */
export function parseWorkloadList(list: string, namespace: string): WorkloadTarget[] {
  return list
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0)
    .map((entry) => {
      const [name, container, extra] = entry.split(":");
      if (!name || !container || extra !== undefined) {
        throw new RangeError(
          `workload "${entry}" must be "<deployment>:<container>", such as "chat-server:server"`,
        );
      }
      return WorkloadTarget.parse({ namespace, name, container });
    });
}

/** `namespace/name`, as people and logs name a Deployment. */
export function workloadName(target: WorkloadTarget): string {
  return `${target.namespace}/${target.name}`;
}
