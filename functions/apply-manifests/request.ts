import * as z from "@slipway/core/zod";

/** One rendered manifest: any kind; the API server validates the rest. */
export const Manifest = z.looseObject({
  apiVersion: z.string().check(z.minLength(1)),
  kind: z.string().check(z.minLength(1)),
  metadata: z.looseObject({
    name: z.string().check(z.minLength(1)),
    namespace: z.optional(z.string().check(z.minLength(1))),
    labels: z.optional(z.record(z.string(), z.string())),
    annotations: z.optional(z.record(z.string(), z.string())),
  }),
});
export type Manifest = z.infer<typeof Manifest>;

/**
 * A Kubernetes Secret whose values live in Secrets Manager: infra passes where they are,
 * never the values, so neither the payload nor Pulumi's state of it carries them.
 */
export const SecretFromSecretsManager = z.object({
  name: z.string().check(z.minLength(1)),
  namespace: z.string().check(z.minLength(1)),
  /** The secret's ARN; its value is a JSON object of strings. */
  secretId: z.string().check(z.minLength(1)),
  /** Kubernetes key → field of that JSON object. */
  keys: z.record(z.string().check(z.minLength(1)), z.string().check(z.minLength(1))),
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
  stage: z.string().check(z.minLength(1)),
  /** Changes whenever the manifests change, so the invocation re-runs; not used otherwise. */
  manifestHash: z.string().check(z.minLength(1)),
  objects: z.array(Manifest),
  secrets: z._default(z.array(SecretFromSecretsManager), []),
  tf: z.optional(
    z.object({
      action: z.enum(["create", "update", "delete"]),
      prev_input: z.optional(z.unknown()),
    }),
  ),
});
export type ApplyManifestsEvent = z.infer<typeof ApplyManifestsEvent>;
