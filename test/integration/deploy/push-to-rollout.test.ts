import { afterAll, describe, expect, inject, it } from "vitest";
import { runDemo } from "../../../scripts/demo.ts";
import { motoInstalled } from "../../harness/moto.ts";
import { serverAvailable } from "../../harness/requirements.ts";
import { deleteWorkloads, namespace, uniqueName } from "./cluster-kit.ts";

const prefix = `${uniqueName("demo")}-`;
// One demo run serves both tests: it is the slowest thing in the tier.
let demo: ReturnType<typeof runDemo> | undefined;
const demoRun = () => {
  demo ??= runDemo(inject("kube"), { prefix, quiet: true });
  return demo;
};

afterAll(async () => {
  await deleteWorkloads(
    ["chat-server", "chat-web", "greeter"].map((name) => ({
      namespace,
      name: `${prefix}${name}`,
      container: "",
    })),
  );
});

describe.runIf(serverAvailable("moto (DynamoDB)", motoInstalled()))("npm run demo", () => {
  it("takes a signed push through the webhook, a CodeBuild stand-in and the deploy function to a completed rollout", async () => {
    const result = await demoRun();

    expect(result.ok, JSON.stringify(result)).toBe(true);
    expect(result.images).toHaveLength(2);
    for (const image of result.images) expect(image).toMatch(/@sha256:[0-9a-f]{64}$/);
    expect(result.githubStates).toEqual(
      expect.arrayContaining([
        "repos/create-deployment-status queued",
        "repos/create-deployment-status in_progress",
        "repos/create-deployment-status success",
        "repos/create-commit-status success",
      ]),
    );
  });

  it("deploys the greeter beside the chat: each push rolls out its own service and never touches the other", async () => {
    const result = await demoRun();

    expect(result.greeterUntouchedByChat).toBe(true);
    expect(result.greeter.chatUntouched).toBe(true);
    expect(result.greeter.deployed).toMatchObject({ kind: "succeeded" });
    expect(result.greeter.images[`${prefix}greeter`]).toMatch(
      /^123456789012\.dkr\.ecr\.us-east-1\.amazonaws\.com\/slipway-dev-greeter@sha256:[0-9a-f]{64}$/,
    );
  });

  it("follows the delivery id from the push to the trace, every step in order on the moto ledger", async () => {
    const result = await demoRun();

    const [timeline, ...others] = result.trace.timelines;
    expect(others).toEqual([]);
    expect(timeline?.deliveryId).toBe(result.deliveryId);
    // The same id reached both Deployments' annotations and the GitHub Deployment's payload.
    expect(result.correlation).toEqual({
      annotations: [result.deliveryId, result.deliveryId],
      githubPayloads: [result.deliveryId],
    });
    expect(timeline?.state).toBe("succeeded");
    expect(timeline?.steps.map((s) => s.step)).toEqual([
      "push received",
      "build started",
      "build finished",
      "patch sent",
      "rollout complete",
    ]);
    const times = timeline?.steps.map((s) => Date.parse(s.at)) ?? [];
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(timeline?.steps.slice(1).every((s) => (s.sincePreviousMs ?? -1) >= 0)).toBe(true);
    expect(result.trace.text).toContain(`delivery ${result.deliveryId}`);
    expect(result.trace.text).toMatch(/build log: https:\/\//);
  });
});
