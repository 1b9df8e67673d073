import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { RefusedError, TransientError } from "@slipway/core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startTlsApiServer, type TlsApiServer } from "../../../test/kube/tls-api-server.ts";
import { connectedChannel, openApiConnection } from "./api-connection.ts";
import { eksEndpoint } from "./cluster-access.ts";
import { translateKubeError } from "./kube-errors.ts";
import { createKubeWorkloads } from "./kube-workloads.ts";

const target = { namespace: "chat", name: "chat-server", container: "server" };
let server: TlsApiServer;
let before = 0;
const handshakes = () => server.handshakes() - before;

beforeAll(async () => {
  server = await startTlsApiServer();
});
afterAll(() => server?.stop());
beforeEach(() => {
  before = server.handshakes();
  server.requests.length = 0;
});

/** The deployer's connection as an EKS function builds it: the cluster CA and a bearer token. */
const connect = (token: () => Promise<string> = async () => "t", idleMs?: number) =>
  openApiConnection(
    eksEndpoint({ server: server.url, certificateAuthorityData: server.caData, token }),
    idleMs === undefined ? {} : { idleMs },
  );

describe("the deployer's connection to the API server", () => {
  it("opens one TLS connection for reads, a patch and two watches sent at once by a cold client", async () => {
    // Prepare
    const connection = connect();
    const workloads = createKubeWorkloads({ connection, watchSeconds: 1 });
    const firstOfWatch = async () => {
      for await (const state of workloads.watch(target, new AbortController().signal)) {
        return state;
      }
      return undefined;
    };

    // Act
    const [read] = await Promise.all([
      workloads.read(target),
      workloads.read(target),
      workloads.setImage(target, {
        image: "repo@sha256:2",
        resourceVersion: "7",
        annotations: { "slipway.dev/sequence": "2" },
      }),
      firstOfWatch(),
      firstOfWatch(),
    ]);
    await connection.close();

    // Assess
    expect(read.image).toBe("repo@sha256:1");
    expect(handshakes()).toBe(1);
    expect(new Set(server.requests.map((r) => r.httpVersion))).toEqual(new Set(["2.0"]));
  });

  it("sends a strategic merge patch of the container by name, with the resourceVersion", async () => {
    const connection = connect();
    const workloads = createKubeWorkloads({ connection });

    await workloads.setImage(target, {
      image: "repo@sha256:2",
      resourceVersion: "7",
      annotations: { "slipway.dev/sequence": "2" },
    });
    await connection.close();

    const [patch] = server.requests;
    expect(patch).toMatchObject({
      method: "PATCH",
      path: "/apis/apps/v1/namespaces/chat/deployments/chat-server",
      contentType: "application/strategic-merge-patch+json",
    });
    expect(JSON.parse(patch?.body ?? "")).toEqual({
      metadata: { resourceVersion: "7", annotations: { "slipway.dev/sequence": "2" } },
      spec: { template: { spec: { containers: [{ name: "server", image: "repo@sha256:2" }] } } },
    });
  });

  it("lists the ReplicaSets beside the get once it knows the selector, and keeps only the Deployment's own", async () => {
    // Prepare: a read teaches the adapter the Deployment's selector.
    const connection = connect();
    const workloads = createKubeWorkloads({ connection });
    await workloads.read(target);
    server.requests.length = 0;

    // Act
    const revisions = await workloads.revisions(target);
    await connection.close();

    // Assess: the list left before the get's answer came back (one round trip, not two).
    expect(server.requests.map((r) => r.path)).toEqual([
      "/apis/apps/v1/namespaces/chat/replicasets?labelSelector=app%3Dchat-server",
      "/apis/apps/v1/namespaces/chat/deployments/chat-server",
    ]);
    expect(revisions).toEqual([
      {
        name: "chat-server-1",
        revision: 1,
        image: "repo@sha256:1",
        annotations: { "deployment.kubernetes.io/revision": "1" },
      },
    ]);
  });

  it("asks for the token on every request, so a renewed one is used at once", async () => {
    let n = 0;
    const connection = connect(async () => `token-${++n}`);

    await connection.request({ method: "GET", path: "/apis/apps/v1" });
    await connection.request({ method: "GET", path: "/apis/apps/v1" });
    await connection.close();

    expect(server.requests.map((r) => r.authorization)).toEqual([
      "Bearer token-1",
      "Bearer token-2",
    ]);
  });

  it("reconnects after the server ends the connection (GOAWAY)", async () => {
    const connection = connect();
    await connection.request({ method: "GET", path: "/apis/apps/v1" });

    server.dropConnections();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await connection.request({ method: "GET", path: "/apis/apps/v1" });
    await connection.close();

    expect(handshakes()).toBe(2);
  });

  it("replaces a connection left idle longer than idleMs (a thawed Lambda container)", async () => {
    const connection = connect(undefined, 20);
    const opened: unknown[] = [];
    const onConnected = (message: unknown) => opened.push(message);
    subscribe(connectedChannel.name, onConnected);

    await connection.request({ method: "GET", path: "/apis/apps/v1" });
    await connection.request({ method: "GET", path: "/apis/apps/v1" });
    await new Promise((resolve) => setTimeout(resolve, 60));
    await connection.request({ method: "GET", path: "/apis/apps/v1" });
    await connection.close();
    unsubscribe(connectedChannel.name, onConnected);

    expect(handshakes()).toBe(2);
    expect(opened).toEqual([{ server: server.url }, { server: server.url }]);
  });

  it("ends a watch that hears nothing for idleMs, as a transient failure", async () => {
    const connection = connect();
    const events = connection.watch(
      "/apis/apps/v1/namespaces/chat/deployments?watch=true&silent=true",
      {
        signal: new AbortController().signal,
        idleMs: 100,
      },
    );

    const error = await (async () => {
      for await (const _ of events) return undefined;
      return undefined;
    })().catch((e: unknown) => e);
    await connection.close();

    expect(translateKubeError("watch chat/chat-server", error)).toBeInstanceOf(TransientError);
  });

  it("throws the server's status and reason as KubeApiError, which the adapter refuses", async () => {
    const connection = connect();
    const workloads = createKubeWorkloads({ connection });

    await expect(
      connection.request({ method: "GET", path: "/apis/apps/v1/namespaces/chat/deployments/x" }),
    ).rejects.toMatchObject({ name: "KubeApiError", statusCode: 404, message: /NotFound/ });
    await expect(workloads.read({ ...target, name: "other" })).rejects.toBeInstanceOf(RefusedError);
    await connection.close();
  });
});
