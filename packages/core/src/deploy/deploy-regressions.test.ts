// Named regressions: each interleaving here once left the cluster, the ledger and GitHub
// disagreeing (issue 17). The simulation (test/simulation/) explores the rest.

import { createFakeBuilds } from "@slipway/aws/testing";
import type { Lane, WorkloadTarget } from "@slipway/core";
import { digestImage, finishedBuildOf, seedDeployment } from "@slipway/ledger/testing";
import { describe, expect, it } from "vitest";
import { rollbackStage } from "../operate/rollback.ts";
import { RefusedError, TransientError } from "../ports/infrastructure-errors.ts";
import type { Workloads } from "../ports/workloads.ts";
import { server, deps as testDeps, web } from "../testing/deps.ts";
import { applyImage } from "./apply-image.ts";
import { deployBuild } from "./deploy-build.ts";
import { type RecheckDeps, recheckRollouts } from "./recheck-rollouts.ts";

const image1 = digestImage(1);

/** A stage whose #1 succeeded with image 1 (what both Deployments run), and a clock. */
async function stage(options: { rolloutTimeoutMs?: number } = {}) {
  let now = new Date("2026-11-26T10:00:00.000Z");
  const built = testDeps({
    bootImage: image1,
    now,
    rolloutTimeoutMs: options.rolloutTimeoutMs ?? 50,
  });
  const { memory: ledger, github, workloads } = built;
  const deps: RecheckDeps = { ...built.deps, now: () => now, settleAfterMs: 60_000 };
  await seedDeployment(ledger, {
    stage: "dev",
    sequence: 1,
    state: "succeeded",
    imageDigest: image1,
    now,
  });
  const seed = (sequence: number) => seedDeployment(ledger, { stage: "dev", sequence, now });
  const later = (ms: number) => {
    now = new Date(now.getTime() + ms);
  };
  const state = async (sequence: number) =>
    (await ledger.get({ stage: "dev", service: "chat", sequence }))?.state;
  return { deps, ledger, github, workloads, seed, later, state };
}

/** Wraps setImage: `intercept` runs before each patch and may throw instead. */
function interceptPatches(
  workloads: Workloads,
  intercept: (target: WorkloadTarget, image: string) => Promise<void>,
): Workloads {
  return {
    ...workloads,
    setImage: async (target, change) => {
      await intercept(target, change.image);
      return workloads.setImage(target, change);
    },
  };
}

describe("deploy regressions", () => {
  it("leaves an operator's rollout undo during a long rollout alone when the re-check resumes it", async () => {
    const { deps, workloads, seed, later, state } = await stage();
    const two = await seed(2);
    workloads.rolloutOf = () => "pending";
    expect(await deployBuild(deps, finishedBuildOf(two))).toMatchObject({ kind: "rolling" });
    workloads.rolloutOf = () => "complete";
    expect(workloads.undo(server)).toBe(true);
    expect(workloads.undo(web)).toBe(true);
    await workloads.reconcile();
    const patches = workloads.patches.length;
    later(120_000);

    const results = await recheckRollouts(deps);

    expect(results).toMatchObject([{ sequence: 2, outcome: { kind: "replaced" } }]);
    expect(workloads.patches.length).toBe(patches);
    expect(workloads.state(server).image).toBe(image1);
    expect(workloads.state(web).image).toBe(image1);
    expect(await state(2)).toBe("replaced");
  });

  it("records a `kubectl set image` during the rollout as replaced and never patches back", async () => {
    const { deps, github, workloads, seed, later, state } = await stage();
    const two = await seed(2);
    workloads.rolloutOf = () => "pending";
    await deployBuild(deps, finishedBuildOf(two));
    workloads.setImageByHand(web, digestImage(0xbeef));
    later(120_000);

    await recheckRollouts(deps);

    expect(await state(2)).toBe("replaced");
    expect(workloads.state(web).image).toBe(digestImage(0xbeef));
    expect(github.deploymentStatuses.at(-1)).toMatchObject({ state: "error" });
    expect(github.commitStatuses.at(-1)).toMatchObject({ state: "error" });
  });

  it("restores the last succeeded image, not a newer one still rolling out, when #3 fails during #2", async () => {
    const { deps, workloads, seed, later, state } = await stage();
    const two = await seed(2);
    const three = await seed(3);
    workloads.rolloutOf = () => "pending";
    await deployBuild(deps, finishedBuildOf(two));
    workloads.rolloutOf = (image) => (image === digestImage(3) ? "deadline-exceeded" : "complete");

    expect(await deployBuild(deps, finishedBuildOf(three))).toMatchObject({ kind: "rolled-back" });
    later(120_000);
    await recheckRollouts(deps);

    expect(workloads.state(server).image).toBe(image1);
    expect(workloads.state(web).image).toBe(image1);
    expect(await state(3)).toBe("rolled_back");
    expect(await state(2)).toBe("superseded");
  });

  it("fails, restoring nothing, when the stage has no succeeded image", async () => {
    const built = testDeps({ rolloutTimeoutMs: 50 });
    const record = await seedDeployment(built.memory, {
      stage: "dev",
      service: "chat",
      sequence: 2,
    });
    built.workloads.rolloutOf = () => "deadline-exceeded";

    const outcome = await deployBuild(built.deps, finishedBuildOf(record));

    expect(outcome).toMatchObject({ kind: "failed" });
    expect(
      (await built.memory.get({ stage: "dev", service: "chat", sequence: 2 }))?.reason,
    ).toContain("no succeeded image to restore");
  });

  it.each([
    // Five: the run's own retries of a transient error are spent, so it escapes to Lambda.
    ["a transient error", new TransientError("patch chat/chat-web"), 5],
    ["a Lambda timeout", new Error("Task timed out after 300.00 seconds"), 1],
  ])(
    "finishes the restore on retry after %s cut it short on one Deployment",
    async (_, error, times) => {
      const { deps, github, workloads, seed, state } = await stage();
      const two = await seed(2);
      workloads.rolloutOf = (image) =>
        image === digestImage(2) ? "deadline-exceeded" : "complete";
      let failures = times;
      const flaky = interceptPatches(workloads, async (target, image) => {
        if (target.name === web.name && image === image1 && failures-- > 0) throw error;
      });

      await expect(deployBuild({ ...deps, workloads: flaky }, finishedBuildOf(two))).rejects.toBe(
        error,
      );
      expect(await state(2)).toBe("rolling_back");
      const outcome = await deployBuild({ ...deps, workloads: flaky }, finishedBuildOf(two));

      expect(outcome).toMatchObject({ kind: "rolled-back" });
      expect(workloads.state(server).image).toBe(image1);
      expect(workloads.state(web).image).toBe(image1);
      expect(await state(2)).toBe("rolled_back");
      expect(github.deploymentStatuses.at(-1)?.description).toContain("Rolled back #2");
    },
  );

  it("records a deployment superseded when a newer one patches during its restore", async () => {
    const { deps, workloads, seed, state } = await stage();
    const two = await seed(2);
    const three = await seed(3);
    workloads.rolloutOf = (image) => (image === digestImage(2) ? "deadline-exceeded" : "complete");
    let raced = false;
    const racing = interceptPatches(workloads, async (_, image) => {
      if (image !== image1 || raced) return;
      raced = true;
      await deployBuild(deps, finishedBuildOf(three));
    });

    const outcome = await deployBuild({ ...deps, workloads: racing }, finishedBuildOf(two));

    expect(outcome).toEqual({ kind: "superseded", by: 3 });
    expect(await state(2)).toBe("superseded");
    expect(await state(3)).toBe("succeeded");
    expect(workloads.state(server).image).toBe(digestImage(3));
    expect(workloads.state(web).image).toBe(digestImage(3));
  });

  it("records a Deployment paused during the rollout as replaced instead of following it for ever", async () => {
    const { deps, workloads, seed, later, state } = await stage();
    const two = await seed(2);
    workloads.rolloutOf = () => "pending";
    await deployBuild(deps, finishedBuildOf(two));
    workloads.setPaused(server, true);
    await workloads.reconcile();
    later(120_000);

    const results = await recheckRollouts(deps);

    expect(results).toMatchObject([{ outcome: { kind: "replaced" } }]);
    expect(await state(2)).toBe("replaced");
  });

  it("fails and restores a rollout that is still progressing past the re-check's bound", async () => {
    const { deps, workloads, seed, later, state } = await stage();
    const two = await seed(2);
    workloads.rolloutOf = (image) => (image === digestImage(2) ? "pending" : "complete");
    await deployBuild(deps, finishedBuildOf(two));
    later(120_000);
    expect(await recheckRollouts(deps)).toMatchObject([{ outcome: { kind: "rolling" } }]);
    later(30 * 60_000);

    const results = await recheckRollouts(deps);

    expect(results).toMatchObject([{ outcome: { kind: "rolled-back" } }]);
    expect(await state(2)).toBe("rolled_back");
    expect(workloads.state(server).image).toBe(image1);
  });

  it("follows a restore's own rollout and records it failed when the restored image cannot run", async () => {
    const { deps, ledger, workloads, seed, state } = await stage();
    const two = await seed(2);
    workloads.rolloutOf = () => "deadline-exceeded";

    const outcome = await deployBuild(deps, finishedBuildOf(two));

    expect(outcome).toMatchObject({ kind: "failed" });
    expect(await state(2)).toBe("failed");
    expect((await ledger.get({ stage: "dev", service: "chat", sequence: 2 }))?.reason).toMatch(
      /the restore to .* failed: .*progress deadline/,
    );
  });

  it("leaves a restore still rolling out rolling_back, and the re-check records its verdict", async () => {
    const { deps, workloads, seed, later, state } = await stage();
    const two = await seed(2);
    workloads.rolloutOf = (image) => (image === digestImage(2) ? "deadline-exceeded" : "pending");

    expect(await deployBuild(deps, finishedBuildOf(two))).toMatchObject({ kind: "rolling" });
    expect(await state(2)).toBe("rolling_back");
    workloads.rolloutOf = () => "complete";
    await workloads.reconcile();
    later(120_000);

    expect(await recheckRollouts(deps)).toMatchObject([{ outcome: { kind: "rolled-back" } }]);
    expect(await state(2)).toBe("rolled_back");
  });

  it("names every Deployment it could not restore and records the deployment failed", async () => {
    const { deps, ledger, workloads, seed } = await stage();
    const two = await seed(2);
    workloads.rolloutOf = (image) => (image === digestImage(2) ? "deadline-exceeded" : "complete");
    const refusing = interceptPatches(workloads, async (target, image) => {
      if (target.name === web.name && image === image1)
        throw new RefusedError("patch chat/chat-web", 403);
    });

    const outcome = await deployBuild({ ...deps, workloads: refusing }, finishedBuildOf(two));

    expect(outcome).toMatchObject({ kind: "failed" });
    const record = await ledger.get({ stage: "dev", service: "chat", sequence: 2 });
    expect(record?.state).toBe("failed");
    expect(record?.reason).toContain("not restored: chat/chat-web");
    expect(workloads.state(server).image).toBe(image1);
  });

  it("sends the verdict to GitHub on retry when a run died between recording it and reporting it (found by the simulation)", async () => {
    const { deps, ledger, github, seed } = await stage();
    const three = await seed(3);
    const dying = {
      ...deps,
      github: {
        ...deps.github,
        setDeploymentStatus: async () => {
          throw new Error("Task timed out after 300.00 seconds");
        },
      },
    };
    await deployBuild(dying, finishedBuildOf(three, { status: "failed", image: undefined }));
    expect((await ledger.get({ stage: "dev", service: "chat", sequence: 3 }))?.githubReport).toBe(
      "pending",
    );

    const retried = await deployBuild(
      deps,
      finishedBuildOf(three, { status: "failed", image: undefined }),
    );

    expect(retried).toEqual({ kind: "duplicate", state: "failed" });
    expect(github.deploymentStatuses.at(-1)).toMatchObject({
      state: "failure",
      deploymentId: 5003,
    });
    expect(github.commitStatuses.at(-1)).toMatchObject({ state: "failure" });
    expect((await ledger.get({ stage: "dev", service: "chat", sequence: 3 }))?.githubReport).toBe(
      "reported",
    );
  });

  it("pays a report still owed when the re-check runs", async () => {
    const { deps, ledger, github, seed, later } = await stage();
    const two = await seed(2);
    github.outage = new Error("GitHub 503");
    await deployBuild(deps, finishedBuildOf(two));
    github.outage = undefined;
    later(120_000);

    await recheckRollouts(deps);

    expect(github.deploymentStatuses.at(-1)).toMatchObject({
      state: "success",
      deploymentId: 5002,
    });
    expect((await ledger.get({ stage: "dev", service: "chat", sequence: 2 }))?.githubReport).toBe(
      "reported",
    );
  });

  it("keeps an older build out after an operator's rollout undo lowered the guard (found by the simulation)", async () => {
    const { deps, workloads, seed, state } = await stage();
    const two = await seed(2);
    const three = await seed(3);
    await deployBuild(deps, finishedBuildOf(three));
    workloads.undo(server);
    await workloads.reconcile();
    // #2's run read the ledger before #3 deployed, so only the cluster can stop it now.
    const racing = { ...deps, ledger: { ...deps.ledger, history: async () => [] } };

    const outcome = await deployBuild(racing, finishedBuildOf(two));

    expect(outcome).toEqual({ kind: "superseded", by: 3 });
    expect(await state(2)).toBe("superseded");
    expect(workloads.state(server).image).toBe(image1);
  });

  it("reads a successful build's image from CodeBuild when its event lacks IMAGE_URI", async () => {
    const { deps, seed, state, workloads } = await stage();
    const two = await seed(2);
    const builds = createFakeBuilds();
    builds.exported.set(two.buildId, [{ name: "IMAGE_URI", value: digestImage(2) }]);

    const outcome = await deployBuild(
      { ...deps, builds },
      finishedBuildOf(two, { image: undefined }),
    );

    expect(outcome).toEqual({ kind: "succeeded", image: digestImage(2) });
    expect(await state(2)).toBe("succeeded");
    expect(workloads.state(web).image).toBe(digestImage(2));
  });

  it("fails the record, and so alerts, when CodeBuild has no IMAGE_URI for a successful build either", async () => {
    const { deps, ledger, github, seed, workloads } = await stage();
    const two = await seed(2);

    const outcome = await deployBuild(
      { ...deps, builds: createFakeBuilds() },
      finishedBuildOf(two, { image: undefined }),
    );

    expect(outcome).toMatchObject({ kind: "failed" });
    expect(await ledger.get({ stage: "dev", service: "chat", sequence: 2 })).toMatchObject({
      state: "failed",
      reason: expect.stringContaining("IMAGE_URI"),
    });
    expect(github.commitStatuses.at(-1)).toMatchObject({ state: "failure" });
    expect(workloads.patches).toEqual([]);
  });

  it("deploys a build whose hold was recorded after the unpin (found by the simulation)", async () => {
    const { deps, ledger, seed, state } = await stage();
    const two = await seed(2);
    await ledger.pin(
      { stage: "dev", service: "chat" },
      { reason: "incident", by: "ops", at: new Date() },
    );
    let unpinned = false;
    const racing = {
      ...deps,
      ledger: {
        ...deps.ledger,
        transition: async (...args: Parameters<typeof deps.ledger.transition>) => {
          const [, change] = args;
          if (change.to === "held" && !unpinned) {
            unpinned = true;
            await ledger.unpin({ stage: "dev", service: "chat" });
          }
          return deps.ledger.transition(...args);
        },
      },
    };

    const outcome = await deployBuild(racing, finishedBuildOf(two));

    expect(outcome).toMatchObject({ kind: "succeeded" });
    expect(await state(2)).toBe("succeeded");
  });

  it("supersedes an older held build once a newer one reaches the cluster", async () => {
    const { deps, ledger, seed, state } = await stage();
    const two = await seed(2);
    const three = await seed(3);
    await ledger.pin(
      { stage: "dev", service: "chat" },
      { reason: "incident", by: "ops", at: new Date() },
    );
    await deployBuild(deps, finishedBuildOf(two));
    await ledger.unpin({ stage: "dev", service: "chat" });

    await deployBuild(deps, finishedBuildOf(three));

    expect(await state(2)).toBe("superseded");
    expect(await state(3)).toBe("succeeded");
  });

  it("takes a duplicate run's concurrent patch, seen in the ReplicaSets before the Deployment, for its own, not for an undo (found by the deploy-races drill)", async () => {
    // Prepare: run B resumes #2 and reads chat-server while it still holds #1; run A's patch
    // of #2 lands (and its ReplicaSet appears) before B lists the ReplicaSets.
    const { deps, workloads } = await stage();
    const own = { sequence: 2, image: digestImage(2) };
    let raced = false;
    const racing: Workloads = {
      ...workloads,
      revisions: async (target) => {
        if (!raced) {
          raced = true;
          const now = await workloads.read(target);
          await workloads.setImage(target, {
            image: own.image,
            resourceVersion: now.resourceVersion,
            annotations: { "slipway.dev/sequence": "2" },
          });
        }
        return workloads.revisions(target);
      },
    };

    // Act
    const outcome = await applyImage({ ...deps, workloads: racing }, server, own, {}, {});

    // Assess: B sees its own build on the Deployment, not a hand edit.
    expect(outcome).toMatchObject({ kind: "applied", patched: false });
  });

  it("sends the first patch of a build with no read once the Deployments carry the high-water the ledger expects", async () => {
    const { deps, workloads, seed, state } = await stage();
    // #2 is the first build with a label to expect: it takes the reading path and sets it.
    await deployBuild(deps, finishedBuildOf(await seed(2)));
    const three = await seed(3);
    const calls: string[] = [];
    const counting: Workloads = {
      ...workloads,
      read: (t) => {
        calls.push(`read ${t.name}`);
        return workloads.read(t);
      },
      revisions: (t) => {
        calls.push(`revisions ${t.name}`);
        return workloads.revisions(t);
      },
      setImage: (t, change) => {
        calls.push(`patch ${t.name}`);
        return workloads.setImage(t, change);
      },
    };

    const outcome = await deployBuild({ ...deps, workloads: counting }, finishedBuildOf(three));

    expect(outcome).toMatchObject({ kind: "succeeded" });
    expect(calls.slice(0, 2).sort()).toEqual(["patch chat-server", "patch chat-web"]);
    for (const target of [server, web]) {
      const now = workloads.state(target);
      expect(now).toMatchObject({ image: digestImage(3), highWater: 3 });
      // The server copied the image it replaced, which the run never read.
      expect(now.annotations).toMatchObject({
        "slipway.dev/sequence": "3",
        "slipway.dev/previous-image": digestImage(2),
      });
    }
    expect(await state(3)).toBe("succeeded");
  });

  it("never patches its own build back over an undo when a concurrent resumed run put it there before the winner's patch", async () => {
    // Prepare: #2 deployed (high-water 2). Run A wins #3's move to deploying; before its first
    // patch, a resumed run B patches #3 everywhere and an operator undoes it. The sequence
    // annotation is back at 2, as the ledger expects; the high-water label still says 3.
    const { deps, workloads, seed, state } = await stage();
    await deployBuild(deps, finishedBuildOf(await seed(2)));
    const three = await seed(3);
    let race: Promise<void> | undefined;
    const runB = async () => {
      for (const target of [server, web]) {
        const now = await workloads.read(target);
        await workloads.setImage(target, {
          image: digestImage(3),
          resourceVersion: now.resourceVersion,
          highWater: 3,
          annotations: { "slipway.dev/sequence": "3" },
        });
        expect(workloads.undo(target)).toBe(true);
      }
      await workloads.reconcile();
    };
    // Both of A's patches wait for B and the operator.
    const racing = interceptPatches(workloads, () => {
      race ??= runB();
      return race;
    });
    const patches = workloads.patches.length;

    // Act
    const outcome = await deployBuild({ ...deps, workloads: racing }, finishedBuildOf(three));

    // Assess: the operator's undo stands.
    expect(outcome).toMatchObject({ kind: "replaced" });
    expect(workloads.patches.length).toBe(patches + 2);
    expect(workloads.state(server).image).toBe(digestImage(2));
    expect(workloads.state(web).image).toBe(digestImage(2));
    expect(await state(3)).toBe("replaced");
  });

  it("takes the reading path when a Deployment is at another high-water than the ledger expects", async () => {
    // #2 patched the cluster but its patch time never reached the ledger: #3 expects #1's.
    const { deps, workloads, seed, state, ledger } = await stage();
    const patchTime = "2026-11-26T09:00:00.000Z";
    const two = await seed(2);
    await deployBuild(deps, finishedBuildOf(two));
    const forgetful = {
      ...deps,
      ledger: {
        ...deps.ledger,
        history: async (...args: Parameters<typeof ledger.history>) =>
          (await ledger.history(...args)).map((r) =>
            r.sequence === 2 ? { ...r, patchedAt: undefined } : { ...r, patchedAt: patchTime },
          ),
      },
    };

    const refused: string[] = [];
    const watching: Workloads = {
      ...workloads,
      setImage: (t, change) =>
        workloads.setImage(t, change).catch((error: unknown) => {
          refused.push(`${t.name} ${"whileHighWater" in change ? change.whileHighWater : "rv"}`);
          throw error;
        }),
    };

    const outcome = await deployBuild(
      { ...forgetful, workloads: watching },
      finishedBuildOf(await seed(3)),
    );

    expect(refused.sort()).toEqual(["chat-server 1", "chat-web 1"]);
    expect(outcome).toMatchObject({ kind: "succeeded" });
    expect(workloads.state(server)).toMatchObject({ image: digestImage(3), highWater: 3 });
    expect(workloads.state(server).annotations["slipway.dev/previous-image"]).toBe(digestImage(2));
    expect(await state(3)).toBe("succeeded");
  });

  it("refuses an unread patch for a container the Deployment lacks as the reading path does, with a 422", async () => {
    const { deps, workloads, seed } = await stage();
    await deployBuild(deps, finishedBuildOf(await seed(2)));
    const sidecar = { ...server, container: "sidecar" };
    const own = { sequence: 3, image: digestImage(3) };
    const patches = workloads.patches.length;

    const applying = applyImage(deps, sidecar, own, {}, { expectedHighWater: 2 });

    await expect(applying).rejects.toThrow(RefusedError);
    await expect(applying).rejects.toMatchObject({ status: 422 });
    expect(workloads.patches.length).toBe(patches);
  });

  it("takes a superseded build's image off a Deployment the newer build never reached (found by the simulation)", async () => {
    const { deps, workloads, seed, state } = await stage();
    const two = await seed(2);
    const three = await seed(3);
    const refusingServer: Workloads = {
      ...workloads,
      read: async (target) => {
        if (target.name === server.name) throw new RefusedError("get chat/chat-server", 403);
        return workloads.read(target);
      },
    };
    await deployBuild({ ...deps, workloads: refusingServer }, finishedBuildOf(three));
    // #2's run read the ledger before #3 deployed: its first read is stale.
    let reads = 0;
    const history = deps.ledger.history.bind(deps.ledger);
    const stale = {
      ...deps,
      ledger: {
        ...deps.ledger,
        history: async (lane: Lane, limit?: number) => (reads++ === 0 ? [] : history(lane, limit)),
      },
    };

    const outcome = await deployBuild(stale, finishedBuildOf(two));

    expect(outcome).toEqual({ kind: "superseded", by: 3 });
    expect(await state(2)).toBe("superseded");
    expect(workloads.state(server).image).toBe(image1);
    expect(workloads.state(web).image).toBe(image1);
  });

  it("never rolls an operator back to a rolled-back build's ReplicaSet when no other success is left (found by the apiserver-faults drill)", async () => {
    const { deps, workloads, seed, state } = await stage({ rolloutTimeoutMs: 1_000 });
    const two = await seed(2);
    workloads.rolloutOf = (image) => (image === digestImage(2) ? "deadline-exceeded" : "complete");
    expect(await deployBuild(deps, finishedBuildOf(two))).toMatchObject({ kind: "rolled-back" });
    const patches = workloads.patches.length;

    // #1 runs again and is the stage's only success: the ReplicaSet before it is #2's.
    const outcome = await rollbackStage({ ...deps, now: () => new Date() }, { requestedBy: "ops" });

    expect(outcome).toMatchObject({ kind: "no-candidate" });
    expect(workloads.patches.length).toBe(patches);
    expect(workloads.state(server).image).toBe(image1);
    expect(workloads.state(web).image).toBe(image1);
    expect(await state(2)).toBe("rolled_back");
  });

  it.each([
    ["", 0],
    [", even when listing the ReplicaSets to tell fails at first", 2],
  ])(
    "waits out the progress deadline a failed rollout left on the Deployment instead of calling its restore failed%s (found by the apiserver-faults drill)",
    async (_, listingFailures) => {
      const { deps, workloads, seed, state } = await stage({ rolloutTimeoutMs: 1_000 });
      const two = await seed(2);
      workloads.rolloutOf = (image) =>
        image === digestImage(2) ? "deadline-exceeded" : "complete";
      const stale = staleDeadlineOnRestore(workloads, image1, () => {
        if (listingFailures > 0) {
          workloads.failNext("revisions", new TransientError("list replicasets"), listingFailures);
        }
      });

      const outcome = await deployBuild({ ...deps, workloads: stale }, finishedBuildOf(two));

      expect(outcome).toMatchObject({ kind: "rolled-back" });
      expect(await state(2)).toBe("rolled_back");
      expect(workloads.state(server).image).toBe(image1);
      expect(workloads.state(web).image).toBe(image1);
    },
  );
});

/**
 * What the deployment controller reports right after a restore patch (1.35, progress.go): the
 * new generation observed while the Progressing condition still names the failed rollout's
 * ReplicaSet as timed out, because no progress was counted yet; the next status is complete.
 */
function staleDeadlineOnRestore(
  workloads: Workloads,
  restored: string,
  beforeStale: () => void,
): Workloads {
  return {
    ...workloads,
    async *watch(target, signal) {
      let shown = false;
      for await (const state of workloads.watch(target, signal)) {
        if (state.image === restored && !shown) {
          shown = true;
          const failed = (await workloads.revisions(target)).find((r) => r.image !== restored);
          beforeStale();
          yield {
            ...state,
            snapshot: {
              ...state.snapshot,
              status: {
                ...state.snapshot.status,
                observedGeneration: state.snapshot.metadata?.generation ?? 0,
                conditions: [
                  {
                    type: "Progressing",
                    status: "False",
                    reason: "ProgressDeadlineExceeded",
                    message: `ReplicaSet "${failed?.name}" has timed out progressing.`,
                  },
                ],
              },
            },
          };
        }
        yield state;
      }
    },
  };
}
