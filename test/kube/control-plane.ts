import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CoreV1Api, Health, KubeConfig } from "@kubernetes/client-node";
import { generateCerts } from "./certs.ts";
import { createFakeNodes, kwokNodeSelector, waitForNodesReady } from "./fake-nodes.ts";
import { freePorts } from "./free-port.ts";
import { createIdentities, type Identity, writeTokenFile } from "./identities.ts";
import { ensureKubeBinaries } from "./kube-binaries.ts";
import { writeKubeconfig } from "./kubeconfig.ts";
import { kwokStagesYaml } from "./kwok-stages.ts";
import { logTail, type SupervisedProcess, startProcess } from "./supervised-process.ts";
import { waitFor } from "./wait-for.ts";
import { createWorkloadAccess } from "./workload-access.ts";

export type ControlPlaneOptions = {
  /** Folder holding etcd, kube-* and kwok; built (or reused) by scripts/kube-build.sh when omitted. */
  binDir?: string;
  /** The workload namespace the deployer identity is confined to. @default "chat" */
  namespace?: string;
  /** Keep every new pod Pending this long before kwok marks it Ready. @default 0 */
  podReadyDelayMs?: number;
  /** Budget for the whole start, from etcd to Ready nodes. @default 90_000 */
  startTimeoutMs?: number;
  /** Keep the temp folder (logs, etcd data) after stop(), to read the logs. @default false */
  keepDir?: boolean;
};

/** A running cluster, as the tests see it. Any cluster a suite can target has this shape. */
export type Cluster = {
  /** kubeconfig with cluster-admin (system:masters). */
  kubeconfigAdmin: string;
  /** kubeconfig of `slipway-deployer`, allowed only what the deploy function may do. */
  kubeconfigDeployer: string;
  namespace: string;
  /** The apiserver URL. */
  server: string;
  stop: () => Promise<void>;
};

export type ControlPlane = Cluster & {
  /** Temp folder with certs, kubeconfigs, etcd data and `logs/<process>.log`. */
  dir: string;
  logDir: string;
  binDir: string;
  /** Settles when any component exits on its own, naming it and its log. */
  exited: Promise<string>;
};

/**
 * Starts etcd, kube-apiserver, kube-controller-manager, kube-scheduler and
 * kwok on 127.0.0.1 (free ports, temp folder), with two fake Ready nodes in
 * zones zone-a and zone-b, the workload namespace and the deployer's Role.
 * Deployments really roll out: the controllers make ReplicaSets and pods, the
 * scheduler places them, and kwok marks them Running and Ready.
 *
 * On failure everything started is stopped, and the error names the logs.
 */
export async function startControlPlane(opts: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const binDir = opts.binDir ?? (await ensureKubeBinaries());
  const namespace = opts.namespace ?? "chat";
  const deadline = Date.now() + (opts.startTimeoutMs ?? 90_000);
  const remaining = () => Math.max(1_000, deadline - Date.now());

  const dir = await mkdtemp(join(tmpdir(), "slipway-kube-"));
  const logDir = join(dir, "logs");
  await mkdir(logDir);
  const processes: SupervisedProcess[] = [];
  const bin = (name: string) => join(binDir, name);
  const launch = (name: string, args: string[]) => {
    const started = startProcess({ name, command: bin(name), args, logDir });
    processes.push(started);
    return started;
  };
  // Stop waiting as soon as any component dies; its log says why.
  const failFast = () => {
    const dead = processes.find((p) => p.exitStatus() !== undefined);
    return dead && `${dead.name} ${dead.exitStatus()} (log: ${dead.logFile})`;
  };
  const stopAll = async () => {
    // Clients of etcd first, all at once (each stop is bounded), then etcd:
    // an apiserver that loses etcd mid-shutdown retries until it is killed.
    const [etcd, ...rest] = processes;
    await Promise.all(rest.map((p) => p.stop()));
    await etcd?.stop();
  };

  try {
    const identities = createIdentities();
    const certs = await generateCerts(dir);
    const tokenFile = join(dir, "tokens.csv");
    await writeTokenFile(tokenFile, Object.values(identities));
    const [etcdPort, etcdPeerPort, apiPort] = (await freePorts(3)) as [number, number, number];
    const server = `https://127.0.0.1:${apiPort}`;

    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    const peerUrl = `http://127.0.0.1:${etcdPeerPort}`;
    launch("etcd", [
      "--name=slipway",
      `--data-dir=${join(dir, "etcd")}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=slipway=${peerUrl}`,
      // Throwaway data: skipping fsync makes every write several times faster.
      "--unsafe-no-fsync",
      "--log-level=warn",
    ]);
    await waitFor(
      "etcd /health",
      async () => {
        const response = await fetch(`${etcdUrl}/health`);
        return response.ok ? true : undefined;
      },
      { timeoutMs: remaining(), intervalMs: 100, failFast },
    );

    launch("kube-apiserver", [
      `--etcd-servers=${etcdUrl}`,
      "--bind-address=127.0.0.1",
      `--secure-port=${apiPort}`,
      // Without these two the apiserver warns that 127.0.0.1 may not be in
      // the loopback range and tries to publish itself as the `kubernetes`
      // Service endpoint, which nothing here needs.
      "--advertise-address=127.0.0.1",
      "--endpoint-reconciler-type=none",
      `--cert-dir=${dir}`,
      `--tls-cert-file=${certs.servingCert}`,
      `--tls-private-key-file=${certs.servingKey}`,
      `--token-auth-file=${tokenFile}`,
      "--authorization-mode=Node,RBAC",
      "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
      `--service-account-key-file=${certs.serviceAccountPub}`,
      `--service-account-signing-key-file=${certs.serviceAccountKey}`,
      "--service-cluster-ip-range=10.96.0.0/16",
      "--profiling=false",
    ]);

    const caPem = await readFile(certs.caCert, "utf8");
    const kubeconfigFor = async (identity: Identity, ns?: string) => {
      const path = join(dir, `${identity.user.replaceAll(":", "-")}.kubeconfig`);
      await writeKubeconfig(path, { server, caPem, identity, ...(ns ? { namespace: ns } : {}) });
      return path;
    };
    const kubeconfigAdmin = await kubeconfigFor(identities.admin, namespace);
    const kubeconfigDeployer = await kubeconfigFor(identities.deployer, namespace);
    const admin = new KubeConfig();
    admin.loadFromFile(kubeconfigAdmin);
    await waitFor(
      "kube-apiserver /readyz",
      async () => ((await new Health(admin).readyz({})) ? true : undefined),
      {
        timeoutMs: remaining(),
        failFast,
      },
    );

    launch("kube-controller-manager", [
      `--kubeconfig=${await kubeconfigFor(identities.controllerManager)}`,
      // Port 0 turns off its HTTPS endpoint: nothing scrapes it, and fixed
      // default ports would clash between two clusters on one machine.
      "--secure-port=0",
      "--leader-elect=false",
      // Each controller then acts as its own service account with its
      // bootstrap role (system:controller:deployment-controller, ...), as in
      // kubeadm clusters; the manager's own user is allowed little else.
      "--use-service-account-credentials=true",
      `--service-account-private-key-file=${certs.serviceAccountKey}`,
      `--root-ca-file=${certs.caCert}`,
    ]);
    launch("kube-scheduler", [
      `--kubeconfig=${await kubeconfigFor(identities.scheduler)}`,
      "--secure-port=0",
      "--leader-elect=false",
    ]);
    const stagesFile = join(dir, "kwok-stages.yaml");
    await writeFile(
      stagesFile,
      await kwokStagesYaml({ podReadyDelayMs: opts.podReadyDelayMs ?? 0 }),
    );
    launch("kwok", [
      `--kubeconfig=${await kubeconfigFor(identities.kwok)}`,
      `--config=${stagesFile}`,
      "--manage-all-nodes=false",
      `--manage-nodes-with-annotation-selector=${kwokNodeSelector}`,
      // The default /24 caps live pods near 250 (one IP each); a /16 leaves room.
      "--cidr=10.244.0.0/16",
      // Without node leases the node controller marks the fake nodes NotReady ~50 s after start
      // and every pod on them Ready=False for good (kwok's pod-ready stage only handles Pending pods).
      "--node-lease-duration-seconds=40",
    ]);

    await createWorkloadAccess(admin, namespace);
    const nodes = await createFakeNodes(admin);
    await waitForNodesReady(admin, nodes, { timeoutMs: remaining(), failFast });
    // Pods are refused until the namespace's default ServiceAccount exists;
    // waiting here keeps that retry out of the first test's rollout time.
    const core = admin.makeApiClient(CoreV1Api);
    await waitFor(
      `ServiceAccount ${namespace}/default`,
      async () => (await core.readNamespacedServiceAccount({ name: "default", namespace })) && true,
      { timeoutMs: remaining(), failFast },
    );

    let stopped: Promise<void> | undefined;
    const stop = () => {
      stopped ??= stopAll().then(() =>
        opts.keepDir ? undefined : rm(dir, { recursive: true, force: true }),
      );
      return stopped;
    };
    const exited = Promise.race(
      processes.map((p) => p.exited.then(() => `${p.name} ${p.exitStatus()} (log: ${p.logFile})`)),
    );
    return {
      kubeconfigAdmin,
      kubeconfigDeployer,
      namespace,
      server,
      stop,
      dir,
      logDir,
      binDir,
      exited,
    };
  } catch (error) {
    await stopAll();
    const tails = await Promise.all(
      processes.map(
        async (p) =>
          `--- ${p.name} (${p.exitStatus() ?? "was running"}): ${p.logFile}\n${await logTail(p.logFile, 8)}`,
      ),
    );
    throw new Error(
      `local control plane failed to start: ${(error as Error).message}\nlogs kept in ${logDir}\n${tails.join("\n")}`,
      { cause: error },
    );
  }
}
