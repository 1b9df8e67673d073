import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { buildEventFor } from "../test/events/codebuild/fixtures.ts";

export type StandIn = { url: string; close(): Promise<void> };

type StartBuildRequest = {
  projectName: string;
  sourceVersion: string;
  environmentVariablesOverride: Array<{ name: string; value: string }>;
};

async function listen(server: Server): Promise<StandIn> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function text(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * CodeBuild's StartBuild over AWS's JSON protocol, building in zero time: as soon as it has
 * answered, it hands the SUCCEEDED Build State Change event (shaped like a real one, with the
 * image `imageFor(commit)`) to `onFinished`, as EventBridge would hand it to the deploy function.
 */
export async function startInstantCodeBuild(
  imageFor: (commit: string) => string,
  onFinished: (event: object) => void,
): Promise<StandIn> {
  return listen(
    createServer(async (req, res) => {
      const body = JSON.parse(await text(req)) as StartBuildRequest;
      if (!String(req.headers["x-amz-target"] ?? "").endsWith(".StartBuild")) {
        res.writeHead(200, { "content-type": "application/x-amz-json-1.1" }).end("{}");
        return;
      }
      const buildId = `${body.projectName}:${randomUUID()}`;
      const arn = `arn:aws:codebuild:us-east-1:123456789012:build/${buildId}`;
      res
        .writeHead(200, { "content-type": "application/x-amz-json-1.1" })
        .end(JSON.stringify({ build: { id: buildId, arn, buildStatus: "IN_PROGRESS" } }));
      const env = Object.fromEntries(
        body.environmentVariablesOverride.map((v) => [v.name, v.value]),
      );
      onFinished(
        buildEventFor("succeeded", {
          stage: env.SLIPWAY_STAGE ?? "",
          sequence: Number(env.SLIPWAY_SEQUENCE),
          commit: env.SLIPWAY_COMMIT ?? "",
          deliveryId: env.SLIPWAY_DELIVERY_ID ?? "",
          buildId,
          image: imageFor(body.sourceVersion),
        }),
      );
    }),
  );
}

/** GitHub's REST API, canned: the figure is Slipway's, not a stand-in's schema checks. */
export async function startCannedGitHub(): Promise<StandIn> {
  return listen(
    createServer(async (req, res) => {
      await text(req);
      const id = /\/deployments$/.test(req.url ?? "") ? 4242 : 1;
      res
        .writeHead(201, { "content-type": "application/json; charset=utf-8" })
        .end(JSON.stringify({ id, state: "pending" }));
    }),
  );
}
