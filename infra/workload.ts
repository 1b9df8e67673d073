import { execFileSync } from "node:child_process";
import { parseAllDocuments } from "yaml";
import { provider } from "./cluster";
import { databaseUrl } from "./database";
import { stageSettings, workloadNamespace } from "./settings";
import { type KubeObject, workloadObjectsForInfra } from "./workload-objects";

const settings = stageSettings($app.stage);

/**
 * The workload's Kubernetes objects: the stage's `k8s/` overlay (namespace, RBAC, Services,
 * Deployments without images, PDBs, HPAs, Ingresses) and the Secrets the pods read.
 * Rendering uses `kubectl kustomize`, so the operator's machine needs kubectl.
 */
const rendered = execFileSync("kubectl", ["kustomize", `k8s/overlays/${settings.overlay}`], {
  encoding: "utf8",
});
const objects = parseAllDocuments(rendered).map((document) => document.toJSON() as KubeObject);

const namespaceObjects = new kubernetes.yaml.v2.ConfigGroup(
  "Workload",
  {
    objs: workloadObjectsForInfra(objects, {
      ...(settings.certificateArn ? { certificateArn: settings.certificateArn } : {}),
    }),
  },
  { provider },
);

const tokenSecret = new random.RandomPassword("ChatTokenSecret", { length: 48, special: false });
const sessionSecret = new random.RandomPassword("ChatSessionSecret", {
  length: 48,
  special: false,
});

new kubernetes.core.v1.Secret(
  "ChatDatabaseSecret",
  {
    metadata: { name: "chat-database", namespace: workloadNamespace },
    stringData: { url: databaseUrl },
  },
  { provider, dependsOn: [namespaceObjects] },
);

new kubernetes.core.v1.Secret(
  "ChatTokenSecretObject",
  {
    metadata: { name: "chat-token", namespace: workloadNamespace },
    stringData: { secret: tokenSecret.result, session: sessionSecret.result },
  },
  { provider, dependsOn: [namespaceObjects] },
);

export const workload = namespaceObjects;
