import {
  DescribeImagesCommand,
  ECRClient,
  ImageNotFoundException,
  RepositoryNotFoundException,
  ServerException,
} from "@aws-sdk/client-ecr";
import { mockClient } from "aws-sdk-client-mock";
import "aws-sdk-client-mock-vitest/extend";
import { RefusedError, TransientError } from "@slipway/core";
import { beforeEach, describe, expect, it } from "vitest";
import { createEcrImageRegistry } from "./ecr-image-registry.ts";

const ecr = mockClient(ECRClient);
const repository = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/slipway-production";
const digest = `sha256:${"e".repeat(64)}`;
const registry = () => createEcrImageRegistry({ client: new ECRClient({ region: "eu-west-1" }) });

describe("ECR image registry", () => {
  beforeEach(() => ecr.reset());

  it("asks DescribeImages for the one digest in the repository its URI names", async () => {
    ecr.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageDigest: digest }] });

    const holds = await registry().holds({ repository, digest });

    expect(holds).toBe(true);
    expect(ecr).toHaveReceivedCommandExactlyOnceWith(DescribeImagesCommand, {
      registryId: "123456789012",
      repositoryName: "slipway-production",
      imageIds: [{ imageDigest: digest }],
    });
  });

  it("answers false for a digest the repository does not hold (ImageNotFoundException)", async () => {
    ecr
      .on(DescribeImagesCommand)
      .rejects(new ImageNotFoundException({ message: "does not exist", $metadata: {} }));

    expect(await registry().holds({ repository, digest })).toBe(false);
  });

  it("turns an ECR server error into TransientError, so core and then Lambda retry", async () => {
    ecr
      .on(DescribeImagesCommand)
      .rejects(new ServerException({ message: "boom", $metadata: { httpStatusCode: 500 } }));

    await expect(registry().holds({ repository, digest })).rejects.toBeInstanceOf(TransientError);
  });

  it("refuses, rather than answers, when the repository itself is missing: a misconfigured stage", async () => {
    ecr
      .on(DescribeImagesCommand)
      .rejects(
        new RepositoryNotFoundException({ message: "no repo", $metadata: { httpStatusCode: 400 } }),
      );

    await expect(registry().holds({ repository, digest })).rejects.toBeInstanceOf(RefusedError);
  });

  it("refuses a repository that is not an ECR URI without calling ECR", async () => {
    await expect(
      registry().holds({ repository: "127.0.0.1:5000/slipway-chat", digest }),
    ).rejects.toBeInstanceOf(RefusedError);
    expect(ecr).not.toHaveReceivedCommand(DescribeImagesCommand);
  });
});
