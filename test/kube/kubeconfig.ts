import { writeFile } from "node:fs/promises";
import type { Identity } from "./identities.ts";

/**
 * Writes a kubeconfig for one token identity. JSON is valid YAML, so kubectl,
 * client-go and @kubernetes/client-node all read it, and no YAML writer is
 * needed. The CA is embedded so the file stays valid if copied elsewhere.
 */
export async function writeKubeconfig(
  path: string,
  opts: { server: string; caPem: string; identity: Identity; namespace?: string },
): Promise<void> {
  const name = "slipway-local";
  const config = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      {
        name,
        cluster: {
          server: opts.server,
          "certificate-authority-data": Buffer.from(opts.caPem).toString("base64"),
        },
      },
    ],
    users: [{ name: opts.identity.user, user: { token: opts.identity.token } }],
    contexts: [
      {
        name,
        context: {
          cluster: name,
          user: opts.identity.user,
          ...(opts.namespace ? { namespace: opts.namespace } : {}),
        },
      },
    ],
    "current-context": name,
  };
  await writeFile(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
}
