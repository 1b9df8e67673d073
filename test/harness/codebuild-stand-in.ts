import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { buildEventFor } from "../events/codebuild/fixtures.ts";

type StartBuildRequest = {
  projectName: string;
  sourceVersion: string;
  environmentVariablesOverride: Array<{ name: string; value: string }>;
};

type DescribeImagesRequest = {
  repositoryName: string;
  imageIds?: Array<{ imageDigest?: string }>;
};

/** One build the stand-in "ran": what it was for and the image it claims to have pushed. */
export type StandInBuild = { buildId: string; commit: string; image: string };

export type CodeBuildStandIn = {
  /** Point AWS_ENDPOINT_URL_CODEBUILD (and AWS_ENDPOINT_URL_ECR) here. */
  url: string;
  /** Resolves once every build started so far has finished and its event was handled. */
  idle(): Promise<void>;
  close(): Promise<void>;
};

/**
 * CodeBuild's StartBuild over AWS's JSON protocol, answered on 127.0.0.1, for the demo and the
 * push-to-rollout benchmark alike. It builds nothing: after `buildMs` it emits the SUCCEEDED
 * Build State Change event (shaped like a real one) with the image `imageFor(commit)`, which
 * `onFinished` hands on as EventBridge would hand it to the deploy function. The event always
 * follows the StartBuild answer: a real build cannot finish before the webhook records it.
 * It also plays the ECR repository it pushes to: DescribeImages finds the digests of images it
 * built and answers ImageNotFoundException for any other, as ECR does.
 */
export async function startCodeBuildStandIn(options: {
  /** The image the build "pushed": by commit, and by the project (one per service). */
  imageFor: (commit: string, projectName: string) => string;
  onFinished: (event: object, build: StandInBuild) => unknown;
  onStarted?: (build: StandInBuild) => void;
  buildMs?: number;
}): Promise<CodeBuildStandIn> {
  const finished: Promise<unknown>[] = [];
  const pushed = new Set<string>();
  const server = createServer(async (req, res) => {
    const target = String(req.headers["x-amz-target"] ?? "");
    if (target.endsWith(".DescribeImages")) {
      const asked = JSON.parse(await text(req)) as DescribeImagesRequest;
      const digests = (asked.imageIds ?? []).map((id) => id.imageDigest);
      const found = digests.filter((d) => pushed.has(`${asked.repositoryName}@${d}`));
      if (found.length < digests.length) {
        res.writeHead(400, { "content-type": "application/x-amz-json-1.1" }).end(
          JSON.stringify({
            __type: "ImageNotFoundException",
            message: `The image with imageId {imageDigest:'${digests[0]}'} does not exist within the repository`,
          }),
        );
        return;
      }
      res
        .writeHead(200, { "content-type": "application/x-amz-json-1.1" })
        .end(JSON.stringify({ imageDetails: found.map((imageDigest) => ({ imageDigest })) }));
      return;
    }
    const body = JSON.parse(await text(req)) as StartBuildRequest;
    if (!target.endsWith(".StartBuild")) {
      res.writeHead(200, { "content-type": "application/x-amz-json-1.1" }).end("{}");
      return;
    }
    const buildId = `${body.projectName}:${randomUUID()}`;
    const arn = `arn:aws:codebuild:us-east-1:123456789012:build/${buildId}`;
    res
      .writeHead(200, { "content-type": "application/x-amz-json-1.1" })
      .end(JSON.stringify({ build: { id: buildId, arn, buildStatus: "IN_PROGRESS" } }));
    const env = Object.fromEntries(body.environmentVariablesOverride.map((v) => [v.name, v.value]));
    const build = {
      buildId,
      commit: body.sourceVersion,
      image: options.imageFor(body.sourceVersion, body.projectName),
    };
    // `<registry>/<name>@sha256:…`: ECR knows the repository by its name.
    const [repository, digest] = build.image.split("@");
    pushed.add(`${repository?.split("/").slice(1).join("/")}@${digest}`);
    options.onStarted?.(build);
    const event = buildEventFor("succeeded", {
      stage: env.SLIPWAY_STAGE ?? "",
      service: env.SLIPWAY_SERVICE ?? "",
      sequence: Number(env.SLIPWAY_SEQUENCE),
      commit: env.SLIPWAY_COMMIT ?? "",
      deliveryId: env.SLIPWAY_DELIVERY_ID ?? "",
      buildId,
      image: build.image,
    });
    finished.push(
      new Promise((resolve) => setTimeout(resolve, options.buildMs ?? 0)).then(() =>
        options.onFinished(event, build),
      ),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    idle: async () => {
      while (finished.length > 0) await finished.shift();
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function text(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
