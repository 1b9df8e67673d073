import type https from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";
import type { ClusterEndpoint } from "./api-connection.ts";

/**
 * The endpoint of a kubeconfig's current context (a file, a test's identity, an operator's
 * kubectl identity). client-node still reads the file and runs its authenticators (tokens,
 * client certificates, exec plugins, custom providers) through the instance passed in; only
 * its HTTP client is not used, so this module imports nothing of it at run time.
 */
export async function endpointFromKubeConfig(config: KubeConfig): Promise<ClusterEndpoint> {
  const cluster = config.getCurrentCluster();
  if (!cluster) throw new Error("the kubeconfig has no current cluster");
  // client-node's own rule: plain HTTP only where TLS checks are explicitly off.
  if (cluster.server.startsWith("http:") && !cluster.skipTLSVerify) {
    throw new Error("HTTP protocol is not allowed when skipTLSVerify is not set or false");
  }
  const options = async () => {
    const opts: https.RequestOptions = {};
    await config.applyToHTTPSOptions(opts);
    return opts;
  };
  const { ca, cert, key, rejectUnauthorized, servername } = await options();
  const pem = (value: unknown) =>
    typeof value === "string" || Buffer.isBuffer(value) ? value : undefined;
  return {
    server: cluster.server,
    tls: {
      ...(pem(ca) ? { ca: pem(ca) } : {}),
      ...(pem(cert) ? { cert: pem(cert) } : {}),
      ...(pem(key) ? { key: pem(key) } : {}),
      ...(rejectUnauthorized === undefined ? {} : { rejectUnauthorized }),
      ...(servername ? { servername } : {}),
    },
    async headers() {
      const opts = await options();
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(opts.headers ?? {})) {
        if (value !== undefined) headers[name.toLowerCase()] = String(value);
      }
      if (typeof opts.auth === "string") {
        headers.authorization = `Basic ${Buffer.from(opts.auth).toString("base64")}`;
      }
      return headers;
    },
  };
}
