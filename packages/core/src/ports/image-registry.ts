/** One image by digest in one repository, as the deployer asks about it. */
export type ImageRef = {
  /** `<account>.dkr.ecr.<region>.amazonaws.com/<name>`: the stage's `imageRepository`. */
  repository: string;
  /** `sha256:<64 hex>`. */
  digest: string;
};

/**
 * The stage's image registry (ECR in production), asked before any patch whether the digest a
 * build exported is really there: only an image the registry holds may roll out. Adapters
 * throw TransientError (throttling, 5xx, network) and RefusedError (access denied).
 */
export interface ImageRegistry {
  /** True if `repository` holds an image with `digest`; false if it holds none. */
  holds(image: ImageRef): Promise<boolean>;
}
