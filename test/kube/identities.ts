import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";

/** A bearer-token user of the test apiserver. */
export type Identity = { user: string; token: string; groups: readonly string[] };

/** The group the workload Role is bound to, as the EKS access entry maps it. */
export const deployerGroup = "slipway:deployers";

/**
 * Every identity the local control plane uses, each with a fresh random token.
 * The controller-manager and scheduler users are the names the bootstrap RBAC
 * policy already grants (system:kube-controller-manager, system:kube-scheduler);
 * kwok plays every kubelet, so it gets cluster admin rather than a role that
 * would have to track kwok's needs.
 */
export function createIdentities() {
  const make = (user: string, groups: readonly string[]): Identity => ({
    user,
    groups,
    token: randomBytes(24).toString("base64url"),
  });
  return {
    admin: make("slipway-admin", ["system:masters"]),
    controllerManager: make("system:kube-controller-manager", []),
    scheduler: make("system:kube-scheduler", []),
    kwok: make("kwok", ["system:masters"]),
    deployer: make("slipway-deployer", [deployerGroup]),
  } as const;
}

/**
 * Writes the apiserver's --token-auth-file. Each line is
 * `token,user,uid,"group1,group2"`; see
 * https://kubernetes.io/docs/reference/access-authn-authz/authentication/#static-token-file
 */
export async function writeTokenFile(path: string, identities: readonly Identity[]): Promise<void> {
  const lines = identities.map(
    ({ token, user, groups }) => `${token},${user},${user},"${groups.join(",")}"`,
  );
  await writeFile(path, `${lines.join("\n")}\n`, { mode: 0o600 });
}
