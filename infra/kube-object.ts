import type { KubeObject as Manifest } from "@slipway/kube";

/**
 * A Kubernetes object as infra renders and the apply function applies it: the apply
 * package's manifest, with the `spec` infra's transforms read.
 */
export type KubeObject = Manifest & { spec?: Record<string, unknown> };
