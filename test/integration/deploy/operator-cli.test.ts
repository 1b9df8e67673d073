import { KubeConfig } from "@kubernetes/client-node";
import { runCli } from "@slipway/cli";
import { DeployAnnotation, deployBuild } from "@slipway/core";
import { createKubeWorkloads } from "@slipway/kube";
import { digestImage, finishedBuildOf, seedDeployment } from "@slipway/ledger/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  adminApps,
  createStageWorkloads,
  type createWorkloads,
  deleteWorkloads,
  deployDeps,
  deployerWorkloads,
  imageOf,
  kube,
  namespace,
} from "./cluster-kit.ts";

const registry = "127.0.0.1:5000/slipway-chat";
let kit: Awaited<ReturnType<typeof deployerWorkloads>>;
const created: Awaited<ReturnType<typeof createWorkloads>> = [];

beforeAll(async () => {
  kit = await deployerWorkloads();
});

afterAll(async () => {
  await deleteWorkloads(created);
  await kit.proxy.stop();
});

describe("the operator CLI on the real control plane", () => {
  it("shows history and status, rolls back to the previous success, then forward to a named commit", async () => {
    const targets = await createStageWorkloads("cli", digestImage(1, registry));
    const serverName = targets[0]?.name ?? "";
    created.push(...targets);
    const target = {
      stage: "dev",
      service: "chat",
      deployments: targets,
      production: false,
      imageRepository: registry,
    };
    const { deps, ledger } = deployDeps(kit.workloads, target);
    const records = [];
    for (const sequence of [2, 3]) {
      const record = await seedDeployment(ledger, { stage: "dev", service: "chat", sequence });
      await deployBuild(deps, finishedBuildOf(record, { image: digestImage(sequence, registry) }));
      records.push(record);
    }
    // The operator's own kubectl identity, read from a kubeconfig file as the CLI does.
    const operator = new KubeConfig();
    operator.loadFromFile(kube.kubeconfigAdmin);
    const lines: string[] = [];
    const io = {
      out: (line: string) => lines.push(line),
      err: (line: string) => lines.push(`ERR ${line}`),
      connect: async () => ({ ledger, workloads: createKubeWorkloads({ config: operator }) }),
    };
    const args = (...command: string[]) => [
      ...command,
      "--stage",
      "dev",
      "--service",
      "chat",
      "--table",
      "slipway-ledger",
      "--namespace",
      namespace,
      "--deployments",
      targets.map((t) => `${t.name}:${t.container}`).join(","),
    ];

    const history = await runCli(args("history"), io);
    const historyText = lines.splice(0).join("\n");
    const status = await runCli(args("status"), io);
    const statusText = lines.splice(0).join("\n");
    const back = await runCli(args("rollback", "--timeout", "30"), io);
    const backText = lines.splice(0).join("\n");
    const imagesAfterBack = await Promise.all(targets.map(imageOf));
    const forward = await runCli(
      args("rollback", "--to", records[1]?.commit.slice(0, 8) ?? ""),
      io,
    );
    const forwardText = lines.splice(0).join("\n");

    expect(history).toBe(0);
    expect(historyText).toMatch(/#3\s+succeeded/);
    expect(historyText).toMatch(/#2\s+succeeded/);
    expect(status).toBe(0);
    expect(statusText).toContain(`${namespace}/${serverName}`);
    expect(statusText).toMatch(/#3\s+\S+\s+complete/);
    expect(back, backText).toBe(0);
    expect(backText).toMatch(/rolled back to \w{7} \(#2\).*complete/);
    expect(imagesAfterBack).toEqual([digestImage(2, registry), digestImage(2, registry)]);
    expect(forward, forwardText).toBe(0);
    expect(await Promise.all(targets.map(imageOf))).toEqual([
      digestImage(3, registry),
      digestImage(3, registry),
    ]);
    const server = await adminApps.readNamespacedDeployment({ name: serverName, namespace });
    // The guard keeps its high-water mark: a late build older than #3 still cannot deploy.
    expect(server.metadata?.annotations?.[DeployAnnotation.sequence]).toBe("3");
  });
});
