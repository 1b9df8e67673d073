import { afterAll, describe, expect, inject, it } from "vitest";
import { runDemo } from "../../../scripts/demo.ts";
import { motoInstalled } from "../../harness/moto.ts";
import { serverAvailable } from "../../harness/requirements.ts";
import { deleteWorkloads, namespace, uniqueName } from "./cluster-kit.ts";

const prefix = `${uniqueName("demo")}-`;

afterAll(async () => {
  await deleteWorkloads(
    ["chat-server", "chat-web"].map((name) => ({
      namespace,
      name: `${prefix}${name}`,
      container: "",
    })),
  );
});

describe.runIf(serverAvailable("moto (DynamoDB)", motoInstalled()))("npm run demo", () => {
  it("takes a signed push through the webhook, a CodeBuild stand-in and the deploy function to a completed rollout", async () => {
    const result = await runDemo(inject("kube"), { prefix, quiet: true });

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
});
