import { createHash } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { CodeBuildClient } from "@aws-sdk/client-codebuild";
import { ConditionalCheckFailedException, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  DynamoDBDocumentClient,
  PutCommand,
  type PutCommandInput,
  QueryCommand,
} from "@aws-sdk/lib-dynamodb";
import { marshall } from "@aws-sdk/util-dynamodb";
import type { LambdaFunctionURLEvent, LambdaFunctionURLResult } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { median, percentile } from "../../bench/report.ts";
import { functionUrlDelivery, githubPayload } from "../events/github/fixtures.ts";
import { type AbuseRequest, generateAbuse } from "./support/abuse-requests.ts";
import { drillSeed, formName, longForm, recordDrill, seededRandom } from "./support/drill-form.ts";

// ≥ 10,000 bad requests in the long form, ≥ 2,000 in the short one, through the real handler.
const count = longForm ? 12_000 : 2_100;
// Requests in flight at once: GitHub's deliveries arrive concurrently, and so would an attacker's.
const concurrency = 32;
const secret = "drill-webhook-secret-7f3a9c2e41";
// Smaller than production's 5 MiB so oversized bodies stay cheap to generate; the check is the same.
const maxBodyBytes = 64 * 1024;

// AWS stubbed: any call at all, read or write, would be a failure of the drill.
const codebuild = mockClient(CodeBuildClient);
const dynamo = mockClient(DynamoDBClient);
const documents = mockClient(DynamoDBDocumentClient);

const statusMeaning: Record<number, string> = {
  202: "signed, but nothing to build: tags, deletions, unmapped branches, [skip ci], other events",
  400: "malformed request or payload",
  401: "missing or wrong signature",
  403: "another repository's push (name or id)",
  413: "body over the limit",
  415: "form-encoded hook: set the content type to application/json",
};

function countByStatus(answers: ReadonlyArray<{ status: number }>): Map<number, number> {
  const counts = new Map<number, number>();
  for (const { status } of [...answers].sort((a, b) => a.status - b.status)) {
    counts.set(status, (counts.get(status) ?? 0) + 1);
  }
  return counts;
}

describe(`webhook abuse drill (${formName} form)`, () => {
  let handler: (event: LambdaFunctionURLEvent) => Promise<LambdaFunctionURLResult>;
  let githubCalls = 0;
  const github = createServer((_req, res) => {
    githubCalls += 1;
    res.writeHead(500).end();
  });

  beforeAll(async () => {
    await new Promise<void>((resolve) => github.listen(0, "127.0.0.1", resolve));
    vi.stubEnv("WEBHOOK_SECRET", secret);
    vi.stubEnv("GITHUB_TOKEN", "ghp_drillTokenNeverLogged0000");
    vi.stubEnv("GITHUB_API_URL", `http://127.0.0.1:${(github.address() as AddressInfo).port}`);
    vi.stubEnv("LEDGER_TABLE", "slipway-ledger");
    vi.stubEnv(
      "STAGE_CONFIG",
      JSON.stringify({
        stages: [
          {
            name: "production",
            service: "chat",
            repository: { fullName: "Codertocat/Hello-World", id: 186853002 },
            branches: ["master"],
            codebuildProject: "slipway-production",
            imageRepository: "123456789012.dkr.ecr.us-east-1.amazonaws.com/slipway-production",
            deployments: [{ namespace: "chat", name: "chat-server", container: "server" }],
          },
        ],
      }),
    );
    vi.stubEnv("WEBHOOK_MAX_BODY_BYTES", String(maxBodyBytes));
    vi.stubEnv("AWS_REGION", "us-east-1");
    vi.stubEnv("AWS_ACCESS_KEY_ID", "drill");
    vi.stubEnv("AWS_SECRET_ACCESS_KEY", "drill");
    vi.stubEnv("POWERTOOLS_LOG_LEVEL", "SILENT");
    vi.stubEnv("POWERTOOLS_METRICS_DISABLED", "true");
    ({ handler } = await import("../../functions/webhook/handler.ts"));
  });

  afterAll(async () => {
    vi.unstubAllEnvs();
    await new Promise((resolve) => github.close(resolve));
  });

  it(`answers ${count} bad requests with the right 4xx or 202 and starts no build, writes no ledger record`, async () => {
    // Prepare
    const seed = drillSeed();
    const requests = generateAbuse(count, {
      secret,
      maxBodyBytes,
      mappedBranch: "master",
      random: seededRandom(seed),
    });

    // Act: a bounded pool of concurrent callers; each answer is checked after the run.
    const answers: Array<{ request: AbuseRequest; status: number; body: string }> = [];
    const crashes: Array<{ category: string; error: string }> = [];
    const latencies: number[] = [];
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < requests.length; i = next++) {
        const request = requests[i] as AbuseRequest;
        const started = performance.now();
        try {
          const response = (await handler(request.event)) as { statusCode?: number; body?: string };
          answers.push({
            request,
            status: response.statusCode ?? 0,
            body: String(response.body ?? ""),
          });
        } catch (error) {
          crashes.push({ category: request.category, error: String(error) });
        }
        latencies.push(performance.now() - started);
      }
    };
    const started = performance.now();
    await Promise.all(Array.from({ length: concurrency }, worker));
    const seconds = (performance.now() - started) / 1000;

    // Assess
    const wrong = answers.filter(
      (a) =>
        a.status !== a.request.expected ||
        (a.request.skipped !== undefined &&
          (JSON.parse(a.body) as { skipped?: string }).skipped !== a.request.skipped),
    );
    const byCategory = new Map<string, number>();
    for (const a of answers) {
      const key = `${a.request.expected} ${a.request.category}`;
      byCategory.set(key, (byCategory.get(key) ?? 0) + 1);
    }
    const perSecond = requests.length / seconds;
    recordDrill(
      "webhook-abuse",
      {
        id: "drill-webhook-abuse",
        title: `Webhook abuse drill (${formName} form)`,
        method:
          `${requests.length} generated bad requests in ${byCategory.size} categories (bad, missing, truncated ` +
          "and foreign signatures, bodies changed or cut after signing, oversized and base64 bodies, malformed " +
          "JSON, form encoding, odd and huge headers, valid-JSON non-pushes, and validly signed pushes that must " +
          "not build: another repository's, a fork's, a re-created repository's, unicode and look-alike " +
          "branches, tags, deletions, [skip ci]), " +
          `${concurrency} at a time through the real webhook handler in one process; CodeBuild and DynamoDB ` +
          `stubbed (aws-sdk-client-mock), GitHub a counting server. Seed ${seed}.`,
        rows: [
          { name: "requests", unit: "requests", median: requests.length },
          {
            name: "throughput",
            unit: "requests/s",
            median: perSecond,
            note: `${concurrency} concurrent callers, one Node process`,
          },
          {
            name: "latency per request",
            unit: "ms",
            median: median(latencies),
            p99: percentile(latencies, 99),
            note: "includes waiting behind the other callers",
          },
          {
            name: "builds started",
            unit: "StartBuild calls",
            median: codebuild.calls().length,
          },
          {
            name: "ledger calls",
            unit: "DynamoDB calls",
            median: dynamo.calls().length + documents.calls().length,
          },
          { name: "GitHub calls", unit: "requests", median: githubCalls },
          // Every refusal, counted by the answer GitHub's delivery log shows.
          ...[...countByStatus(answers)].map(([status, n]) => ({
            name: `answered ${status}`,
            unit: "requests",
            median: n,
            note: statusMeaning[status] ?? "",
          })),
          {
            name: "wrong answers or crashes",
            unit: "requests",
            median: wrong.length + crashes.length,
          },
        ],
      },
      `${requests.length} requests in ${seconds.toFixed(1)} s (${perSecond.toFixed(0)}/s), seed ${seed}; ` +
        [...byCategory].map(([key, n]) => `${n}×${key}`).join(", "),
    );

    expect(crashes).toEqual([]);
    expect(
      wrong.slice(0, 5).map((a) => ({
        category: a.request.category,
        status: a.status,
        body: a.body.slice(0, 200),
      })),
    ).toEqual([]);
    expect(answers).toHaveLength(requests.length);
    expect(byCategory.size).toBeGreaterThanOrEqual(20);
    expect(codebuild.calls()).toHaveLength(0);
    expect(dynamo.calls()).toHaveLength(0);
    expect(documents.calls()).toHaveLength(0);
    expect(githubCalls).toBe(0);
  });

  it("refuses every accepted body replayed under a new delivery id: 409, no build, no deployment recorded", async () => {
    // Prepare: the ledger as it stands after the originals were accepted. Each body's SHA-256
    // is claimed by its original delivery; the stage's newest push is as new as the replays.
    const replays = longForm ? 2_000 : 300;
    const originals = Array.from({ length: replays }, (_, i) => {
      const payload = githubPayload("push-branch");
      payload.after = (i + 1).toString(16).padStart(40, "a");
      return {
        id: `original-${i}`,
        event: functionUrlDelivery({
          event: "push",
          deliveryId: `original-${i}`,
          body: payload,
          secret,
        }),
      };
    });
    const claimedBy = new Map<string, string>();
    for (const { id, event } of originals) {
      claimedBy.set(
        createHash("sha256")
          .update(event.body ?? "")
          .digest("hex"),
        id,
      );
    }
    documents.reset();
    documents.on(QueryCommand).resolves({ Items: [] });
    documents.on(PutCommand).callsFake((input: PutCommandInput) => {
      const pk = String(input.Item?.pk ?? "");
      const holder = claimedBy.get(pk.replace(/^BODY#/, ""));
      if (pk.startsWith("BODY#") && holder) {
        throw new ConditionalCheckFailedException({
          message: "The conditional request failed",
          $metadata: {},
          Item: marshall({ ...input.Item, deliveryId: holder }),
        });
      }
      return {};
    });
    const startsBefore = codebuild.calls().length;

    // Act: the same bodies and signatures, each under a fresh delivery id.
    const answers = await Promise.all(
      originals.map(({ event }, i) =>
        handler({ ...event, headers: { ...event.headers, "x-github-delivery": `replay-${i}` } }),
      ),
    );

    // Assess
    const statuses = answers.map((a) => (a as { statusCode?: number }).statusCode);
    const written = documents
      .commandCalls(PutCommand)
      .filter((c) => !String(c.args[0].input.Item?.pk ?? "").match(/^(BODY|DELIVERY)#/));
    recordDrill(
      "webhook-replay",
      {
        id: "drill-webhook-replay",
        title: `Webhook replay drill (${formName} form)`,
        method:
          `${replays} accepted push bodies with their signatures, resent under fresh delivery ids, ` +
          "concurrently, through the real webhook handler; the ledger stubbed as it stands after the " +
          "originals (each body's SHA-256 claimed by its original delivery), CodeBuild stubbed.",
        rows: [
          { name: "replays", unit: "requests", median: replays },
          {
            name: "refused 409 replayed",
            unit: "requests",
            median: statuses.filter((s) => s === 409).length,
          },
          {
            name: "builds started",
            unit: "StartBuild calls",
            median: codebuild.calls().length - startsBefore,
          },
          { name: "deployments recorded", unit: "ledger writes", median: written.length },
        ],
      },
      `${replays} replays: ${statuses.filter((s) => s === 409).length} refused with 409`,
    );
    expect(statuses).toEqual(originals.map(() => 409));
    expect(
      answers.every((a) => JSON.parse(String((a as { body?: string }).body)).error === "replayed"),
    ).toBe(true);
    expect(codebuild.calls().length).toBe(startsBefore);
    expect(written).toEqual([]);
  });

  it("does reach the ledger for a good push, so the zero counts above are not an unwired stub", async () => {
    // Prepare
    const good = functionUrlDelivery({
      event: "push",
      deliveryId: "drill-control-0001",
      body: githubPayload("push-branch"),
      secret,
    });
    const before = dynamo.calls().length + documents.calls().length;

    // Act
    await handler(good);

    // Assess
    expect(dynamo.calls().length + documents.calls().length).toBeGreaterThan(before);
  });
});
