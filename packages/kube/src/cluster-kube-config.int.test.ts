import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createSecureServer, type Http2SecureServer } from "node:http2";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AppsV1Api,
  createConfiguration,
  KubeConfig,
  KubernetesObjectApi,
  ServerConfiguration,
  Watch,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { generateCerts } from "../../../test/kube/certs.ts";
import { bearerKubeConfig } from "./bearer-kubeconfig.ts";
import { createKubeWorkloads } from "./kube-workloads.ts";

const deployment = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "chat-server", namespace: "chat", resourceVersion: "7", generation: 1 },
  spec: {
    selector: { matchLabels: { app: "chat-server" } },
    template: { spec: { containers: [{ name: "server", image: "repo@sha256:1" }] } },
  },
  status: { observedGeneration: 1 },
};
const target = { namespace: "chat", name: "chat-server", container: "server" };

/**
 * A TLS server on 127.0.0.1 that answers like an API server for one Deployment (get, a watch
 * of one event, discovery) and counts TLS handshakes, one per new connection. It speaks
 * HTTP/2 and HTTP/1.1 by ALPN, as kube-apiserver does.
 */
let server: Http2SecureServer;
let handshakes = 0;
let dir: string;
let url: string;
let caData: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "slipway-tls-"));
  const certs = await generateCerts(dir);
  caData = (await readFile(certs.caCert)).toString("base64");
  server = createSecureServer(
    {
      key: await readFile(certs.servingKey),
      cert: await readFile(certs.servingCert),
      allowHTTP1: true,
    },
    (request, response) => {
      const path = new URL(request.url ?? "/", "https://x").pathname;
      response.setHeader("content-type", "application/json");
      if (request.url?.includes("watch=true")) {
        // A watch stays open; this one sends an event and ends after a while.
        response.write(`${JSON.stringify({ type: "MODIFIED", object: deployment })}\n`);
        setTimeout(() => response.end(), 200);
      } else if (path === "/apis/apps/v1") {
        response.end(
          JSON.stringify({
            kind: "APIResourceList",
            groupVersion: "apps/v1",
            resources: [{ name: "deployments", namespaced: true, kind: "Deployment", verbs: [] }],
          }),
        );
      } else if (path === "/apis/apps/v1/namespaces/chat/deployments/chat-server") {
        response.end(JSON.stringify(deployment));
      } else {
        response.statusCode = 404;
        response.end(JSON.stringify({ kind: "Status", code: 404 }));
      }
    },
  );
  server.on("secureConnection", () => {
    handshakes += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

beforeEach(() => {
  handshakes = 0;
});

const watchOnce = (config: KubeConfig) =>
  new Promise<void>((resolve, reject) => {
    void new Watch(config).watch(
      "/apis/apps/v1/namespaces/chat/deployments",
      { fieldSelector: "metadata.name=chat-server" },
      () => {},
      (error) => (error ? reject(error) : resolve()),
    );
  });

const clusterConfig = () =>
  bearerKubeConfig({ server: url, certificateAuthorityData: caData, token: async () => "t" });

describe("one connection per cluster", () => {
  it("opens one TLS connection for 10 sequential reads", async () => {
    const config = clusterConfig();
    const apps = config.makeApiClient(AppsV1Api);

    for (let i = 0; i < 10; i += 1) {
      await apps.readNamespacedDeployment({ name: "chat-server", namespace: "chat" });
    }
    await config.close();

    expect(handshakes).toBe(1);
  });

  it("opens one connection for reads sent at once by a cold client", async () => {
    const config = clusterConfig();
    const workloads = createKubeWorkloads({ config });

    await Promise.all([workloads.read(target), workloads.read(target), workloads.read(target)]);
    await config.close();

    expect(handshakes).toBe(1);
  });

  it("carries two watches and reads at once over the same connection", async () => {
    const config = clusterConfig();
    const workloads = createKubeWorkloads({ config });
    await workloads.read(target);

    const watches = [watchOnce(config), watchOnce(config)];
    await Promise.all([...watches, workloads.read(target), workloads.read(target)]);
    await config.close();

    expect(handshakes).toBe(1);
  });

  it("shares it between reads, a watch and the generic object API", async () => {
    const config = clusterConfig();
    const workloads = createKubeWorkloads({ config });
    const objects = new KubernetesObjectApi(
      createConfiguration({
        baseServer: new ServerConfiguration(url, {}),
        authMethods: { default: config },
      }),
    );

    await workloads.read(target);
    await watchOnce(config);
    await objects.read({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "chat-server", namespace: "chat" },
    });
    await workloads.read(target);
    await config.close();

    expect(handshakes).toBe(1);
  });

  // The reason ClusterKubeConfig exists; when client-node reuses connections by itself, this
  // fails and ClusterKubeConfig can go.
  it("takes one TLS connection per read with client-node 2.0.1's own KubeConfig", async () => {
    const config = new KubeConfig();
    config.loadFromOptions({
      clusters: [{ name: "c", server: url, caData, skipTLSVerify: false }],
      users: [{ name: "u", token: "t" }],
      contexts: [{ name: "x", cluster: "c", user: "u" }],
      currentContext: "x",
    });
    const apps = config.makeApiClient(AppsV1Api);

    for (let i = 0; i < 10; i += 1) {
      await apps.readNamespacedDeployment({ name: "chat-server", namespace: "chat" });
    }

    expect(handshakes).toBe(10);
  });
});
