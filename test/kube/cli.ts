// Starts the local control plane in the foreground, for demos and debugging:
//   node test/kube/cli.ts start [--namespace chat] [--pod-ready-delay-ms 3000]
// It prints `export KUBECONFIG=...` lines and runs until Ctrl-C.
import { parseArgs } from "node:util";
import { startControlPlane } from "./control-plane.ts";

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    namespace: { type: "string", default: "chat" },
    "pod-ready-delay-ms": { type: "string", default: "0" },
    "keep-dir": { type: "boolean", default: false },
  },
});

if (positionals[0] !== "start") {
  console.error(
    "usage: node test/kube/cli.ts start [--namespace chat] [--pod-ready-delay-ms N] [--keep-dir]",
  );
  process.exit(2);
}

const started = Date.now();
const cluster = await startControlPlane({
  namespace: values.namespace,
  podReadyDelayMs: Number(values["pod-ready-delay-ms"]),
  keepDir: values["keep-dir"],
});
const kubectl = `${cluster.binDir}/kubectl`;
console.log(`# control plane ready in ${((Date.now() - started) / 1000).toFixed(1)} s at ${cluster.server}
# logs: ${cluster.logDir}
export KUBECONFIG=${cluster.kubeconfigAdmin}
export SLIPWAY_DEPLOYER_KUBECONFIG=${cluster.kubeconfigDeployer}
export SLIPWAY_NAMESPACE=${cluster.namespace}
# kubectl matching the server: ${kubectl}
# Ctrl-C stops everything.`);

let stopping = false;
const shutdown = async (code: number) => {
  if (stopping) return;
  stopping = true;
  console.error("stopping ...");
  await cluster.stop();
  process.exit(code);
};
process.on("SIGINT", () => shutdown(0));
process.on("SIGTERM", () => shutdown(0));
// A component that dies leaves a cluster that only looks alive; say so and stop.
void cluster.exited.then((what) => {
  if (stopping) return;
  console.error(`${what}; stopping the rest`);
  return shutdown(1);
});
