import { serviceFiles } from "../../../infra/services/index.ts";
import {
  clusterObjectsFor,
  type KubeObject,
  renderOverlay,
  type StageObjectOptions,
} from "../../../infra/workload-objects.ts";

/**
 * The objects infra applies for a stage, with the workload moved to `namespace` before infra
 * shapes them, so that what names the namespace (the admission policy's binding and
 * parameters) follows it and a suite cannot collide with the deploy suites' `chat`.
 */
export function stageObjectsIn(
  overlay: "dev" | "production",
  namespace: string,
  options: StageObjectOptions,
): KubeObject[] {
  const moved = movedTo(renderOverlay(overlay), namespace);
  // The chat's own HTTPS flags (its web client's Secure cookie), as its declaration names them.
  const httpsFlags = serviceFiles.find((s) => s.name === "chat")?.httpsFlags ?? [];
  return clusterObjectsFor(moved, { httpsFlags, ...options });
}

/** Rendered objects moved to `namespace`, so that a suite cannot collide with another's. */
export function movedTo(objects: readonly KubeObject[], namespace: string): KubeObject[] {
  return objects.map((object) => {
    const copy = structuredClone(object);
    if (copy.kind === "Namespace") copy.metadata.name = namespace;
    else if (copy.metadata.namespace) copy.metadata.namespace = namespace;
    return copy;
  });
}
