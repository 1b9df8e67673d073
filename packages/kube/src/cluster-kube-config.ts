import type https from "node:https";
import { KubeConfig, type RequestContext } from "@kubernetes/client-node";
import { Agent, type Dispatcher } from "undici";

/**
 * A KubeConfig whose requests to a cluster share one undici Agent that speaks HTTP/2: API
 * calls, watches and the generic object API alike (all of them authenticate through
 * `applySecurityAuthentication`), multiplexed over one TLS connection, as client-go does.
 *
 * client-node 2.0.1 builds a new Agent there on every call, so each call opened its own TLS
 * connection (a full handshake, on EKS a real round trip) and left the agent open. Keeping
 * one HTTP/1.1 Agent is not enough: a watch holds its connection for its whole length, and a
 * connection is freed a moment after its response is read, so back-to-back calls still open
 * a second one. The API server speaks HTTP/2 (ALPN), so one connection carries everything;
 * a server that does not falls back to HTTP/1.1 pooling in the same Agent. The connection
 * is opened before the first request (see openConnection), so a cold container's first
 * requests, sent at once, share it too.
 */
export class ClusterKubeConfig extends KubeConfig {
  readonly #dispatchers = new Map<string, Promise<Dispatcher>>();

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    if (context.getDispatcher() === undefined) return; // plain HTTP: undici's global pool serves
    const key = `${this.getCurrentCluster()?.server}\n${this.getCurrentUser()?.name}`;
    let shared = this.#dispatchers.get(key);
    if (shared === undefined) {
      shared = this.#agent();
      this.#dispatchers.set(key, shared);
      shared.catch(() => this.#dispatchers.delete(key));
    }
    context.setDispatcher(await shared);
  }

  /** The Agent for the current cluster, with the TLS options client-node derives for it. */
  async #agent(): Promise<Dispatcher> {
    const tls: https.RequestOptions = {};
    await this.applyToHTTPSOptions(tls);
    const { ca, cert, key, rejectUnauthorized, servername } = tls;
    const options = this.createDispatcherOptions(this.getCurrentCluster(), {
      ...(ca === undefined ? {} : { ca }),
      ...(cert === undefined ? {} : { cert }),
      ...(key === undefined ? {} : { key }),
      ...(rejectUnauthorized === undefined ? {} : { rejectUnauthorized }),
      ...(servername === undefined ? {} : { servername }),
    });
    if (options.type !== "agent") {
      throw new Error(`ClusterKubeConfig serves direct TLS connections only, not ${options.type}`);
    }
    const agent = new Agent({ connect: options.connect, allowH2: true });
    await openConnection(agent, this.getCurrentCluster()?.server ?? "", tls.headers);
    return agent;
  }

  /** Closes the kept connections (tests and benchmarks; a Lambda container never needs to). */
  async close(): Promise<void> {
    const dispatchers = [...this.#dispatchers.values()];
    this.#dispatchers.clear();
    await Promise.all(dispatchers.map(async (dispatcher) => (await dispatcher).close()));
  }
}

/**
 * Opens the Agent's connection with one request of its own before any real one. Until TLS
 * has agreed on HTTP/2, undici cannot know that requests may share the connection, so the
 * deployer's first two reads (one per Deployment, at once) would each open one. `/version`
 * is cheap. It carries the same credentials as the calls: an API server that refuses an
 * anonymous request closes that connection (measured on the local control plane). A failure
 * is left to the real request to report.
 */
async function openConnection(
  agent: Agent,
  server: string,
  headers: https.RequestOptions["headers"],
): Promise<void> {
  try {
    const { body } = await agent.request({
      headers: Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k, String(v)])),
      origin: new URL(server).origin,
      path: "/version",
      method: "GET",
      signal: AbortSignal.timeout(10_000),
    });
    await body.dump();
  } catch {
    // The real request that follows fails (or succeeds) on its own terms.
  }
}

/** A kubeconfig file (the local cluster, tests, `KUBECONFIG`) with one connection per cluster. */
export function kubeConfigFromFile(path: string): ClusterKubeConfig {
  const config = new ClusterKubeConfig();
  config.loadFromFile(path);
  return config;
}
