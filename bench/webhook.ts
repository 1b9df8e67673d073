import { CodeBuildClient, StartBuildCommand } from "@aws-sdk/client-codebuild";
import {
  DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { readWebhookDelivery } from "@slipway/github";
import type { LambdaFunctionURLEvent, LambdaFunctionURLResult } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { functionUrlDelivery, githubPayload } from "../test/events/github/fixtures.ts";
import { bundledFunctionSection } from "./bundled-function.ts";
import { type BenchSection, median, percentile } from "./report.ts";

/**
 * The webhook's cost where it is ours: in-process handler latency with AWS and GitHub stubbed
 * (so the figure is Slipway's own work: verify, parse, policy, ledger calls, StartBuild,
 * three GitHub calls, logging and metrics), and the deployed bundle's size and cold import.
 */
export async function run(options: { quick: boolean }): Promise<BenchSection[]> {
  return [await handlerLatency(options.quick), await bundle(options.quick)];
}

const secret = "bench-webhook-secret-0123456789";
const env: Record<string, string> = {
  WEBHOOK_SECRET: secret,
  GITHUB_TOKEN: "ghp_bench_token",
  GITHUB_API_URL: "https://github.bench.invalid",
  LEDGER_TABLE: "slipway-ledger",
  GITHUB_REPOSITORY: "Codertocat/Hello-World",
  GITHUB_REPOSITORY_ID: "186853002",
  STAGE_CONFIG: JSON.stringify({
    stages: [
      {
        name: "production",
        branches: ["master"],
        codebuildProject: "slipway-production",
        deployments: [{ namespace: "chat", name: "chat-server", container: "server" }],
        environmentUrl: "https://chat.example.com",
      },
    ],
  }),
  AWS_REGION: "eu-west-1",
  AWS_ACCESS_KEY_ID: "bench",
  AWS_SECRET_ACCESS_KEY: "bench",
};

let deliveries = 0;
function delivery(body: object, sign = secret): LambdaFunctionURLEvent {
  return functionUrlDelivery({
    event: "push",
    deliveryId: `be0c0000-0000-4000-8000-${String(++deliveries).padStart(12, "0")}`,
    body,
    secret: sign,
  });
}

/** GitHub's answers, canned: the bench measures Slipway, not a stand-in's schema validation. */
const cannedGitHub: typeof fetch = async (input) => {
  const path = new URL(input instanceof Request ? input.url : String(input)).pathname;
  const body = /\/deployments$/.test(path)
    ? { id: 4242, sha: "6113728f", environment: "production" }
    : { id: 1 };
  return new Response(JSON.stringify(body), {
    status: 201,
    headers: { "content-type": "application/json; charset=utf-8" },
  });
};

/** Times `call` on each prepared input (built beforehand, so signing is not timed). */
async function timed<T>(
  inputs: T[],
  warmup: number,
  call: (input: T) => Promise<unknown>,
): Promise<number[]> {
  const samples: number[] = [];
  for (const [i, input] of inputs.entries()) {
    const started = performance.now();
    await call(input);
    if (i >= warmup) samples.push(performance.now() - started);
  }
  return samples;
}

async function handlerLatency(quick: boolean): Promise<BenchSection> {
  const calls = quick ? 200 : 3000;
  const warmup = quick ? 20 : 300;
  const saved = { ...process.env };
  const savedFetch = globalThis.fetch;
  const write = { out: process.stdout.write, err: process.stderr.write };
  const codebuild = mockClient(CodeBuildClient);
  const dynamo = mockClient(DynamoDBDocumentClient);
  try {
    Object.assign(process.env, env);
    globalThis.fetch = cannedGitHub;
    codebuild.on(StartBuildCommand).resolves({
      build: {
        id: "slipway-production:0b0f1c2d",
        arn: "arn:aws:codebuild:eu-west-1:123456789012:build/slipway-production:0b0f1c2d",
      },
    });
    dynamo.on(PutCommand).resolves({});
    dynamo.on(UpdateCommand).resolves({ Attributes: { sequenceValue: 1 } });
    dynamo.on(TransactWriteCommand).resolves({});
    dynamo.on(QueryCommand).resolves({ Items: [] });
    const { handler } = (await import("../functions/webhook/handler.ts")) as {
      handler: (event: LambdaFunctionURLEvent) => Promise<LambdaFunctionURLResult>;
    };
    // Log lines and EMF metrics are produced (that cost is real) and then discarded.
    process.stdout.write = (() => true) as typeof process.stdout.write;
    process.stderr.write = (() => true) as typeof process.stderr.write;

    const push = githubPayload("push-branch");
    const tag = githubPayload("push-tag");
    const prepared = (body: object, sign = secret) =>
      Array.from({ length: warmup + calls }, () => delivery(body, sign));
    const accepted = await timed(prepared(push), warmup, handler);
    const skipped = await timed(prepared(tag), warmup, handler);
    const forged = await timed(prepared(push, "forged-secret-0123456789"), warmup, handler);
    const verifyOnly = await timed(prepared(push), warmup, (event) =>
      readWebhookDelivery(
        { headers: event.headers, body: event.body, isBase64Encoded: event.isBase64Encoded },
        { secret, maxBodyBytes: 5 * 1024 * 1024 },
      ),
    );
    const payloadKiB = (Buffer.byteLength(JSON.stringify(push)) / 1024).toFixed(1);
    const row = (name: string, samples: number[], note: string) => ({
      name,
      unit: "ms",
      median: median(samples),
      p99: percentile(samples, 99),
      ratioToBaseline: median(samples) / median(verifyOnly),
      note,
    });
    return {
      id: "webhook-latency",
      title: "Webhook handler latency (in process, AWS and GitHub stubbed)",
      method:
        `${calls} sequential calls per row after ${warmup} warm-up calls, each with a fresh delivery id and a real ` +
        `push payload from @octokit/webhooks-examples (${payloadKiB} KiB), on the real handler module. DynamoDB and CodeBuild ` +
        "answer through aws-sdk-client-mock, GitHub through a canned fetch; Powertools logs and metrics are " +
        "produced and discarded. Network time in AWS is not included.",
      baseline:
        "signature check and parse alone (readWebhookDelivery: headers, JSON, push schema), on the same payloads",
      rows: [
        row(
          "accepted push",
          accepted,
          "verify, policy, 5 ledger writes, StartBuild, 3 GitHub calls, supersede query",
        ),
        row("skipped push (tag)", skipped, "verify, policy; nothing written"),
        row("forged signature (401)", forged, "size check and HMAC only"),
        { ...row("baseline: verify + parse", verifyOnly, ""), ratioToBaseline: 1 },
      ],
    };
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
    globalThis.fetch = savedFetch;
    codebuild.restore();
    dynamo.restore();
    for (const name of Object.keys(env)) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  }
}

function bundle(quick: boolean): Promise<BenchSection> {
  return bundledFunctionSection({ name: "webhook", contents: "AWS SDK included", env, quick });
}
