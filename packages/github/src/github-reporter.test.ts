import { generateKeyPairSync } from "node:crypto";
import { TransientError } from "@slipway/core";
import { beforeEach, describe, expect, it } from "vitest";
import { createGitHubClient } from "./github-client.ts";
import { createGitHubReporter } from "./github-reporter.ts";
import { createGitHubStandIn, type GitHubStandIn } from "./testing/github-stand-in.ts";

const repository = { owner: "Codertocat", name: "Hello-World" };
const sha = "6113728f27ae82c7b1a177c8d03f9e96e0adf246";
const token = "ghp_test_token";
const newDeployment = {
  repository,
  sha,
  environment: "production",
  description: "Build #7 queued",
  production: true,
  payload: { deliveryId: "d-1", sequence: 7, buildId: "slipway-production:abc" },
};

describe("GitHub reporter against GitHub's OpenAPI description", () => {
  let github: GitHubStandIn;
  const reporter = (timeoutMs?: number) =>
    createGitHubReporter({
      octokit: createGitHubClient({ kind: "token", token }, { fetch: github.fetch }),
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    });

  beforeEach(async () => {
    github = await createGitHubStandIn({ tokens: [token] });
  });

  it("creates a Deployment of the exact SHA that never auto-merges or waits on statuses", async () => {
    const created = await reporter().createDeployment(newDeployment);

    expect(created.deploymentId).toBeGreaterThan(0);
    expect(github.callsOf("repos/create-deployment")).toEqual([
      expect.objectContaining({
        params: { owner: "Codertocat", repo: "Hello-World" },
        body: {
          ref: sha,
          environment: "production",
          description: "Build #7 queued",
          payload: newDeployment.payload,
          production_environment: true,
          auto_merge: false,
          required_contexts: [],
        },
        headers: expect.objectContaining({ authorization: `token ${token}` }),
        status: 201,
      }),
    ]);
    expect(github.violations).toEqual([]);
  });

  it("sets a queued deployment status linking the build log and the environment", async () => {
    const { deploymentId } = await reporter().createDeployment(newDeployment);

    await reporter().setDeploymentStatus({
      repository,
      deploymentId,
      state: "queued",
      description: "Build #7 queued",
      logUrl: "https://console.aws.amazon.com/codesuite/codebuild/build/1",
      environmentUrl: "https://chat.example.com",
    });

    expect(github.callsOf("repos/create-deployment-status")).toEqual([
      expect.objectContaining({
        params: { owner: "Codertocat", repo: "Hello-World", deployment_id: String(deploymentId) },
        body: {
          state: "queued",
          description: "Build #7 queued",
          log_url: "https://console.aws.amazon.com/codesuite/codebuild/build/1",
          environment_url: "https://chat.example.com",
        },
        status: 201,
      }),
    ]);
    expect(github.violations).toEqual([]);
  });

  it("sets a commit status with its context and a description cut to GitHub's 140 characters", async () => {
    await reporter().setCommitStatus({
      repository,
      sha,
      state: "pending",
      context: "slipway/production",
      description: "x".repeat(200),
      targetUrl: "https://console.aws.amazon.com/codesuite/codebuild/build/1",
    });

    const [call] = github.callsOf("repos/create-commit-status");
    expect(call).toMatchObject({
      params: { sha },
      body: { state: "pending", context: "slipway/production" },
      status: 201,
    });
    expect((call?.body as { description?: string } | undefined)?.description).toHaveLength(140);
    expect(github.violations).toEqual([]);
  });

  it("fails transiently when GitHub is down, keeping its status in the cause", async () => {
    github.outage = 503;

    const failure = reporter().createDeployment(newDeployment);

    await expect(failure).rejects.toThrow(TransientError);
    await expect(failure).rejects.toMatchObject({
      cause: expect.objectContaining({ status: 503 }),
    });
  });

  it("is refused with 401 when the token is wrong, without the token in the message", async () => {
    const wrong = createGitHubReporter({
      octokit: createGitHubClient({ kind: "token", token: "ghp_wrong" }, { fetch: github.fetch }),
    });

    const failure = wrong.setCommitStatus({
      repository,
      sha,
      state: "pending",
      context: "slipway/production",
      description: "queued",
    });

    await expect(failure).rejects.toMatchObject({ name: "RefusedError", status: 401 });
    await expect(failure).rejects.not.toThrow(/ghp_wrong/);
  });

  it("gives up on a GitHub that does not answer within the timeout", async () => {
    const silent: typeof fetch = (_input, init) =>
      new Promise((_, reject) =>
        init?.signal?.addEventListener("abort", () => reject(init.signal?.reason)),
      );
    const slow = createGitHubReporter({
      octokit: createGitHubClient({ kind: "token", token }, { fetch: silent }),
      timeoutMs: 50,
    });

    await expect(slow.createDeployment(newDeployment)).rejects.toThrow(TransientError);
  });
});

describe("GitHub reporter as a GitHub App", () => {
  it("mints an installation token with a signed JWT and reports with it", async () => {
    // Prepare
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const github = await createGitHubStandIn({
      app: {
        appId: 123456,
        publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
      },
    });
    const octokit = createGitHubClient(
      {
        kind: "app",
        appId: 123456,
        privateKey: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
        installationId: 42,
      },
      { fetch: github.fetch },
    );

    // Act
    const reporter = createGitHubReporter({ octokit });
    await reporter.createDeployment(newDeployment);
    await reporter.createDeployment(newDeployment);

    // Assess: one token minted for installation 42, then reused.
    const minted = github.callsOf("apps/create-installation-access-token");
    expect(minted).toHaveLength(1);
    expect(minted[0]).toMatchObject({ params: { installation_id: "42" }, status: 201 });
    const deployments = github.callsOf("repos/create-deployment");
    expect(deployments.map((c) => c.status)).toEqual([201, 201]);
    expect(deployments[0]?.headers.authorization).toMatch(/^token ghs_/);
    expect(github.violations).toEqual([]);
  });
});

describe("GitHub stand-in", () => {
  it("flags a deployment status whose state GitHub does not know", async () => {
    const github = await createGitHubStandIn({ tokens: [token] });
    const octokit = createGitHubClient({ kind: "token", token }, { fetch: github.fetch });
    const { data } = await octokit.request("POST /repos/{owner}/{repo}/deployments", {
      owner: "o",
      repo: "r",
      ref: sha,
      required_contexts: [],
    });

    // A plain string route skips Octokit's types, as a typo in untyped code would.
    const route: string = "POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses";
    const sent = octokit.request(route, {
      owner: "o",
      repo: "r",
      deployment_id: "id" in data ? data.id : 0,
      state: "queud",
    });

    await expect(sent).rejects.toMatchObject({ status: 422 });
    expect(github.violations).toEqual([
      expect.stringMatching(/create-deployment-status request: .*state/),
    ]);
  });

  it("flags a deployment without the required ref", async () => {
    const github = await createGitHubStandIn({ tokens: [token] });
    const octokit = createGitHubClient({ kind: "token", token }, { fetch: github.fetch });

    const route: string = "POST /repos/{owner}/{repo}/deployments";
    const sent = octokit.request(route, {
      owner: "o",
      repo: "r",
      environment: "x",
    });

    await expect(sent).rejects.toMatchObject({ status: 422 });
    expect(github.violations).toEqual([expect.stringMatching(/ref/)]);
  });
});
