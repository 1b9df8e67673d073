import {
  AppsV1Api,
  createConfiguration,
  KubeConfig,
  KubernetesObjectApi,
  ServerConfiguration,
  Watch,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startTlsApiServer, type TlsApiServer } from "../../../test/kube/tls-api-server.ts";
import { bearerKubeConfig } from "./bearer-kubeconfig.ts";

// ClusterKubeConfig serves the apply function (client-node's generic object API); the
// deployer's own client is tested in api-connection.int.test.ts.
let server: TlsApiServer;
let url: string;
let caData: string;
let before = 0;
const handshakes = () => server.handshakes() - before;

beforeAll(async () => {
  server = await startTlsApiServer();
  ({ url, caData } = server);
});

afterAll(() => server?.stop());

beforeEach(() => {
  before = server.handshakes();
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

    expect(handshakes()).toBe(1);
  });

  it("opens one connection for reads sent at once by a cold client", async () => {
    const config = clusterConfig();
    const apps = config.makeApiClient(AppsV1Api);
    const read = () => apps.readNamespacedDeployment({ name: "chat-server", namespace: "chat" });

    await Promise.all([read(), read(), read()]);
    await config.close();

    expect(handshakes()).toBe(1);
  });

  it("carries two watches and reads at once over the same connection", async () => {
    const config = clusterConfig();
    const apps = config.makeApiClient(AppsV1Api);
    const read = () => apps.readNamespacedDeployment({ name: "chat-server", namespace: "chat" });
    await read();

    const watches = [watchOnce(config), watchOnce(config)];
    await Promise.all([...watches, read(), read()]);
    await config.close();

    expect(handshakes()).toBe(1);
  });

  it("shares it between reads, a watch and the generic object API", async () => {
    const config = clusterConfig();
    const apps = config.makeApiClient(AppsV1Api);
    const read = () => apps.readNamespacedDeployment({ name: "chat-server", namespace: "chat" });
    const objects = new KubernetesObjectApi(
      createConfiguration({
        baseServer: new ServerConfiguration(url, {}),
        authMethods: { default: config },
      }),
    );

    await read();
    await watchOnce(config);
    await objects.read({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "chat-server", namespace: "chat" },
    });
    await read();
    await config.close();

    expect(handshakes()).toBe(1);
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

    expect(handshakes()).toBe(10);
  });
});
