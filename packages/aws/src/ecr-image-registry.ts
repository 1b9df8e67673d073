import { DescribeImagesCommand, type ECRClient } from "@aws-sdk/client-ecr";
import { type ImageRef, type ImageRegistry, RefusedError } from "@slipway/core";
import { translateAwsError } from "./aws-errors.ts";

/** `<account>.dkr.ecr.<region>.amazonaws.com[.cn]/<name>`, as ECR names a repository's URI. */
const ecrRepositoryUri = /^(\d{12})\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?\/(.+)$/;

/**
 * The stage's ECR repository. DescribeImages with the one digest answers ImageNotFoundException
 * when the repository holds no such image: that is `false`, an answer. Throttling and 5xx are
 * TransientError (core retries, then Lambda does); access denied or a missing repository is
 * RefusedError, a misconfiguration that must reach the DLQ's alarm rather than fail a build.
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeImages.html
 */
export function createEcrImageRegistry(options: { client: ECRClient }): ImageRegistry {
  const { client } = options;
  return {
    async holds(image: ImageRef) {
      const [, registryId, repositoryName] = ecrRepositoryUri.exec(image.repository) ?? [];
      if (registryId === undefined || repositoryName === undefined) {
        throw new RefusedError(
          `ECR DescribeImages: ${image.repository} is not an ECR repository`,
          400,
        );
      }
      try {
        const found = await client.send(
          new DescribeImagesCommand({
            registryId,
            repositoryName,
            imageIds: [{ imageDigest: image.digest }],
          }),
        );
        return (found.imageDetails ?? []).some((d) => d.imageDigest === image.digest);
      } catch (error) {
        if (error instanceof Error && error.name === "ImageNotFoundException") return false;
        throw translateAwsError(`ECR DescribeImages ${repositoryName}@${image.digest}`, error);
      }
    },
  };
}
