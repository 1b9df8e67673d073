import { z } from "zod";

/** One rendered manifest: any kind; the API server validates the rest. */
export const Manifest = z.looseObject({
  apiVersion: z.string().min(1),
  kind: z.string().min(1),
  metadata: z.looseObject({
    name: z.string().min(1),
    namespace: z.string().min(1).optional(),
    labels: z.record(z.string(), z.string()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
  }),
});
export type Manifest = z.infer<typeof Manifest>;

/**
 * A Kubernetes Secret whose values live in Secrets Manager: infra passes where they are,
 * never the values, so neither the payload nor Pulumi's state of it carries them.
 */
export const SecretFromSecretsManager = z.object({
  name: z.string().min(1),
  namespace: z.string().min(1),
  /** The secret's ARN; its value is a JSON object of strings. */
  secretId: z.string().min(1),
  /** Kubernetes key → field of that JSON object. */
  keys: z.record(z.string().min(1), z.string().min(1)),
});
export type SecretFromSecretsManager = z.infer<typeof SecretFromSecretsManager>;

/**
 * What infra sends on every `sst deploy` whose manifests changed, through
 * `aws.lambda.Invocation` with lifecycle scope CRUD: the provider adds `tf.action`
 * (`create`, `update` or `delete`) under its terraform key, and on `sst remove` invokes once
 * more with `delete` and the last input.
 * @example { "stage": "dev", "manifestHash": "9f…", "objects": [{ "apiVersion": "v1", "kind": "Namespace", "metadata": { "name": "chat" } }], "secrets": [], "tf": { "action": "create" } }
 * @see https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/lambda_invocation
 */
export const ApplyManifestsEvent = z.object({
  stage: z.string().min(1),
  /** Changes whenever the manifests change, so the invocation re-runs; not used otherwise. */
  manifestHash: z.string().min(1),
  objects: z.array(Manifest),
  secrets: z.array(SecretFromSecretsManager).default([]),
  tf: z
    .object({ action: z.enum(["create", "update", "delete"]), prev_input: z.unknown().optional() })
    .optional(),
});
export type ApplyManifestsEvent = z.infer<typeof ApplyManifestsEvent>;
