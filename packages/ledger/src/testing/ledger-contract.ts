import {
  DeploymentNotFoundError,
  type DeploymentRecord,
  InvalidTransitionError,
  type Ledger,
  UnclaimedDeliveryError,
} from "@slipway/core";
import { describe, expect, it } from "vitest";
import type { LedgerInspection } from "../ledger-inspection.ts";

const day = 24 * 60 * 60 * 1000;
const t0 = Date.parse("2026-11-25T10:00:00.000Z");
const at = (ms: number) => new Date(t0 + ms);
const sha = (n: number) => n.toString(16).padStart(40, "a");

function claim(deliveryId: string, offsetMs = 0, leaseMs = 60_000, service = "chat") {
  return {
    deliveryId,
    service,
    claimedAt: at(offsetMs),
    leaseUntil: at(offsetMs + leaseMs),
    retainUntil: at(offsetMs + 7 * day),
  };
}

/** A deployment as acceptPush records it; each test varies what it needs. */
export function deploymentRecord(overrides: Partial<DeploymentRecord> = {}): DeploymentRecord {
  const sequence = overrides.sequence ?? 1;
  const stage = overrides.stage ?? "production";
  const service = overrides.service ?? "chat";
  const createdAt = at(sequence * 1000).toISOString();
  return {
    stage,
    service,
    sequence,
    deliveryId: `delivery-${stage}-${service}-${sequence}`,
    state: "queued",
    repository: { owner: "Codertocat", name: "Hello-World" },
    ref: "refs/heads/main",
    commit: sha(sequence),
    commitTitle: "Initial commit",
    project: `slipway-${stage}`,
    buildId: `slipway-${stage}:build-${sequence}`,
    logUrl: `https://builds.example.test/${stage}/${sequence}`,
    githubReport: "pending",
    createdAt,
    updatedAt: createdAt,
    transitions: [{ state: "queued", at: createdAt }],
    ...overrides,
  };
}

/** Claims the delivery and records the deployment, as acceptPush does. */
async function recorded(ledger: Ledger, overrides: Partial<DeploymentRecord> = {}) {
  const record = deploymentRecord(overrides);
  await ledger.claimDelivery(claim(record.deliveryId, 0, 60_000, record.service));
  await ledger.recordDeployment(record);
  return record;
}

/**
 * What every Ledger must do, run against each implementation: the in-memory one in the unit
 * tier and DynamoDB (on moto) in the integration tier. `create` returns an empty ledger.
 */
export function describeLedgerContract(
  name: string,
  create: () => Promise<Ledger & LedgerInspection>,
): void {
  describe(`${name} ledger contract`, () => {
    describe("delivery claims", () => {
      it("claims a new delivery and answers every later claim as a duplicate", async () => {
        const ledger = await create();

        const first = await ledger.claimDelivery(claim("d-1"));
        const second = await ledger.claimDelivery(claim("d-1", 1000));

        expect(first).toEqual({ kind: "claimed" });
        expect(second).toEqual({ kind: "duplicate", buildId: undefined });
      });

      it("names the started build in a duplicate answer", async () => {
        const ledger = await create();
        const record = await recorded(ledger, { deliveryId: "d-1" });

        const again = await ledger.claimDelivery(claim("d-1", 2 * day));

        expect(again).toEqual({ kind: "duplicate", buildId: record.buildId });
      });

      it("refuses a claim that could expire within GitHub's 3-day redelivery window", async () => {
        const ledger = await create();

        await expect(
          ledger.claimDelivery({ ...claim("d-1"), retainUntil: at(3 * day) }),
        ).rejects.toThrow(RangeError);
        expect(await ledger.claimDelivery(claim("d-1"))).toEqual({ kind: "claimed" });
      });

      it("lets a claim be taken over once its lease has run out, keeping its sequence", async () => {
        const ledger = await create();
        await ledger.claimDelivery(claim("d-1", 0, 30_000));
        const sequence = await ledger.assignSequence("d-1", {
          stage: "production",
          service: "chat",
        });

        const during = await ledger.claimDelivery(claim("d-1", 29_000));
        const after = await ledger.claimDelivery(claim("d-1", 31_000));

        expect(during.kind).toBe("duplicate");
        expect(after).toEqual({ kind: "claimed" });
        expect(await ledger.assignSequence("d-1", { stage: "production", service: "chat" })).toBe(
          sequence,
        );
      });

      it("never lets a started delivery be taken over, however late", async () => {
        const ledger = await create();
        await recorded(ledger, { deliveryId: "d-1" });

        const late = await ledger.claimDelivery(claim("d-1", 6 * day));

        expect(late.kind).toBe("duplicate");
      });

      it("treats a record past its retention as gone, even before TTL deletes it", async () => {
        const ledger = await create();
        await ledger.claimDelivery(claim("d-1"));

        const later = await ledger.claimDelivery(claim("d-1", 8 * day));

        expect(later).toEqual({ kind: "claimed" });
      });

      it("gives exactly one of 50 concurrent claims of one delivery", async () => {
        const ledger = await create();

        const outcomes = await Promise.all(
          Array.from({ length: 50 }, () => ledger.claimDelivery(claim("d-1"))),
        );

        expect(outcomes.filter((o) => o.kind === "claimed")).toHaveLength(1);
        expect(outcomes.filter((o) => o.kind === "duplicate")).toHaveLength(49);
      });
    });

    describe("body claims", () => {
      const body = (deliveryId: string, afterMs = 0) => ({
        bodyDigest: "a".repeat(64),
        deliveryId,
        claimedAt: at(afterMs),
        retainUntil: at(afterMs + 7 * day),
      });

      it("lets the delivery that claimed a body claim it again, and names it to any other", async () => {
        const ledger = await create();

        const first = await ledger.claimBody(body("d-1"));
        const redelivered = await ledger.claimBody(body("d-1", 2 * day));
        const replayed = await ledger.claimBody(body("d-2", 6 * day));

        expect(first).toEqual({ kind: "claimed" });
        expect(redelivered).toEqual({ kind: "claimed" });
        expect(replayed).toEqual({ kind: "taken", deliveryId: "d-1" });
      });

      it("frees a body past its retention, even before TTL deletes it", async () => {
        const ledger = await create();
        await ledger.claimBody(body("d-1"));

        expect(await ledger.claimBody(body("d-2", 8 * day))).toEqual({ kind: "claimed" });
      });

      it("gives a body to exactly one of 20 delivery ids claiming it at once", async () => {
        const ledger = await create();

        const outcomes = await Promise.all(
          Array.from({ length: 20 }, (_, i) => ledger.claimBody(body(`d-${i}`))),
        );

        expect(outcomes.filter((o) => o.kind === "claimed")).toHaveLength(1);
      });
    });

    describe("sequences", () => {
      it("counts each stage from 1 on its own", async () => {
        const ledger = await create();

        const numbers = [
          await ledger.nextSequence({ stage: "production", service: "chat" }),
          await ledger.nextSequence({ stage: "production", service: "chat" }),
          await ledger.nextSequence({ stage: "staging", service: "chat" }),
        ];

        expect(numbers).toEqual([1, 2, 1]);
      });

      it("gives 20 concurrent callers distinct numbers 1 to 20, and 21 after", async () => {
        const ledger = await create();

        const numbers = await Promise.all(
          Array.from({ length: 20 }, () =>
            ledger.nextSequence({ stage: "production", service: "chat" }),
          ),
        );

        expect([...numbers].sort((a, b) => a - b)).toEqual(
          Array.from({ length: 20 }, (_, i) => i + 1),
        );
        expect(await ledger.nextSequence({ stage: "production", service: "chat" })).toBe(21);
      });

      it("loses no increment when 100 callers race on two stages", async () => {
        const ledger = await create();
        const stages = ["production", "staging"];

        const numbers = await Promise.all(
          Array.from({ length: 100 }, (_, i) =>
            ledger.nextSequence({ stage: stages[i % 2] ?? "", service: "chat" }),
          ),
        );

        expect(new Set(numbers.filter((_, i) => i % 2 === 0)).size).toBe(50);
        expect(new Set(numbers.filter((_, i) => i % 2 === 1)).size).toBe(50);
        expect(await ledger.nextSequence({ stage: "production", service: "chat" })).toBe(51);
        expect(await ledger.nextSequence({ stage: "staging", service: "chat" })).toBe(51);
      });

      it("assigns a delivery the same sequence on every call", async () => {
        const ledger = await create();
        await ledger.claimDelivery(claim("d-1"));

        const first = await ledger.assignSequence("d-1", { stage: "production", service: "chat" });
        const second = await ledger.assignSequence("d-1", { stage: "production", service: "chat" });

        expect(second).toBe(first);
      });

      it("assigns 20 concurrently claimed deliveries distinct, increasing sequences", async () => {
        const ledger = await create();
        const ids = Array.from({ length: 20 }, (_, i) => `d-${i}`);
        await Promise.all(ids.map((id) => ledger.claimDelivery(claim(id))));

        const numbers = await Promise.all(
          ids.map((id) => ledger.assignSequence(id, { stage: "production", service: "chat" })),
        );

        expect(new Set(numbers).size).toBe(20);
        expect(Math.max(...numbers)).toBeLessThan(
          await ledger.nextSequence({ stage: "production", service: "chat" }),
        );
      });

      it("refuses a sequence for a delivery nobody claimed", async () => {
        const ledger = await create();

        await expect(
          ledger.assignSequence("nobody", { stage: "production", service: "chat" }),
        ).rejects.toThrow(UnclaimedDeliveryError);
      });
    });

    describe("deployments", () => {
      it("records a deployment once and reads it back as recorded", async () => {
        const ledger = await create();
        const record = deploymentRecord();
        await ledger.claimDelivery(claim(record.deliveryId));

        const first = await ledger.recordDeployment(record);
        const second = await ledger.recordDeployment(record);

        expect(first).toEqual({ kind: "recorded" });
        expect(second).toEqual({ kind: "exists" });
        expect(await ledger.get(record)).toEqual(record);
      });

      it("refuses to record a deployment whose delivery was never claimed", async () => {
        const ledger = await create();

        await expect(ledger.recordDeployment(deploymentRecord())).rejects.toThrow(
          UnclaimedDeliveryError,
        );
        expect(await ledger.latest({ stage: "production", service: "chat" })).toBeUndefined();
      });

      it("moves a deployment only from an expected state, and keeps its lifecycle", async () => {
        const ledger = await create();
        const record = await recorded(ledger);

        const building = await ledger.transition(record, {
          from: ["queued"],
          to: "building",
          at: at(60_000),
        });
        const stale = await ledger.transition(record, {
          from: ["queued"],
          to: "failed",
          at: at(61_000),
        });

        expect(building).toMatchObject({ kind: "applied", record: { state: "building" } });
        expect(stale).toMatchObject({ kind: "conflict", current: { state: "building" } });
        expect((await ledger.get(record))?.transitions).toEqual([
          { state: "queued", at: record.createdAt },
          { state: "building", at: at(60_000).toISOString() },
        ]);
      });

      it("sets fields together with the state", async () => {
        const ledger = await create();
        const record = await recorded(ledger);

        const outcome = await ledger.transition(record, {
          from: ["queued", "building"],
          to: "superseded",
          at: at(5000),
          fields: { supersededBy: 7 },
        });

        expect(outcome).toMatchObject({
          kind: "applied",
          record: { state: "superseded", supersededBy: 7, updatedAt: at(5000).toISOString() },
        });
      });

      it("lets exactly one writer win on each of 10 deployments raced by 10 writers each", async () => {
        const ledger = await create();
        const records = [];
        for (let sequence = 1; sequence <= 10; sequence++) {
          records.push(await recorded(ledger, { sequence }));
        }
        const targets = ["building", "failed", "superseded", "held", "deploying"] as const;

        const outcomes = await Promise.all(
          records.flatMap((record) =>
            Array.from({ length: 10 }, (_, i) =>
              ledger.transition(record, {
                from: ["queued"],
                to: targets[i % targets.length] ?? "failed",
                at: at(i),
              }),
            ),
          ),
        );

        expect(outcomes.filter((o) => o.kind === "applied")).toHaveLength(10);
        const stored = await ledger.history({ stage: "production", service: "chat" });
        expect(stored.map((r) => r.transitions.length)).toEqual(Array(10).fill(2));
      });

      it("answers a move of an unknown deployment with a conflict", async () => {
        const ledger = await create();

        const outcome = await ledger.transition(
          { stage: "production", service: "chat", sequence: 9 },
          { from: ["queued"], to: "building", at: at(0) },
        );

        expect(outcome).toEqual({ kind: "conflict", current: undefined });
      });

      it("refuses a move the lifecycle forbids without touching the record", async () => {
        const ledger = await create();
        const record = await recorded(ledger);

        await expect(
          ledger.transition(record, { from: ["succeeded"], to: "queued", at: at(0) }),
        ).rejects.toThrow(InvalidTransitionError);
        expect(await ledger.get(record)).toEqual(record);
      });

      it("annotates a deployment without changing its state", async () => {
        const ledger = await create();
        const record = await recorded(ledger);

        await ledger.annotate(
          record,
          { githubReport: "reported", githubDeploymentId: 42 },
          at(9000),
        );

        expect(await ledger.get(record)).toEqual({
          ...record,
          githubReport: "reported",
          githubDeploymentId: 42,
          updatedAt: at(9000).toISOString(),
        });
      });

      it("refuses to annotate a deployment it does not hold", async () => {
        const ledger = await create();

        await expect(
          ledger.annotate(
            { stage: "production", service: "chat", sequence: 1 },
            { githubReport: "reported" },
            at(0),
          ),
        ).rejects.toThrow(DeploymentNotFoundError);
      });
    });

    describe("queries", () => {
      it("lists a stage's history newest first, and its latest", async () => {
        const ledger = await create();
        for (const sequence of [1, 2, 3, 10]) await recorded(ledger, { sequence });
        await recorded(ledger, { stage: "staging", service: "chat", sequence: 11 });

        const history = await ledger.history({ stage: "production", service: "chat" }, 3);

        expect(history.map((r) => r.sequence)).toEqual([10, 3, 2]);
        expect((await ledger.latest({ stage: "production", service: "chat" }))?.sequence).toBe(10);
        expect(await ledger.latest({ stage: "nowhere", service: "chat" })).toBeUndefined();
      });

      it("lists only deployments whose build may still run, oldest first", async () => {
        const ledger = await create();
        for (const sequence of [1, 2, 3, 4]) await recorded(ledger, { sequence });
        await ledger.transition(
          { stage: "production", service: "chat", sequence: 1 },
          { from: ["queued"], to: "failed", at: at(0) },
        );
        await ledger.transition(
          { stage: "production", service: "chat", sequence: 3 },
          { from: ["queued"], to: "building", at: at(0) },
        );
        await ledger.transition(
          { stage: "production", service: "chat", sequence: 4 },
          { from: ["queued"], to: "deploying", at: at(0) },
        );

        const inFlight = await ledger.inFlight({ stage: "production", service: "chat" });

        expect(inFlight.map((r) => [r.sequence, r.state])).toEqual([
          [2, "queued"],
          [3, "building"],
        ]);
      });

      it("finds every deployment of a commit, across stages, oldest first", async () => {
        const ledger = await create();
        const first = await recorded(ledger, { sequence: 1, commit: sha(99) });
        const other = await recorded(ledger, { stage: "staging", sequence: 2, commit: sha(99) });
        await recorded(ledger, { sequence: 3 });

        const byCommit = await ledger.byCommit(sha(99));

        expect(byCommit).toEqual([first, other]);
        expect(await ledger.byCommit(sha(98))).toEqual([]);
      });
    });

    describe("services", () => {
      it("gives each service of a stage its own sequence, history and in-flight list", async () => {
        const ledger = await create();
        await ledger.claimDelivery(claim("d-1"));
        await ledger.claimDelivery(claim("d-1", 0, 60_000, "greeter"));

        const chat = await ledger.assignSequence("d-1", { stage: "production", service: "chat" });
        const greeter = await ledger.assignSequence("d-1", {
          stage: "production",
          service: "greeter",
        });
        await recorded(ledger, { sequence: 4 });
        await recorded(ledger, { sequence: 4, service: "greeter", commit: sha(44) });

        expect([chat, greeter]).toEqual([1, 1]);
        const history = await ledger.history({ stage: "production", service: "greeter" });
        expect(history.map((r) => [r.service, r.commit])).toEqual([["greeter", sha(44)]]);
        expect(
          (await ledger.inFlight({ stage: "production", service: "chat" })).map((r) => r.service),
        ).toEqual(["chat"]);
        expect((await ledger.latest({ stage: "production", service: "chat" }))?.commit).toBe(
          sha(4),
        );
      });

      it("claims one delivery once per service: a monorepo push builds each service once", async () => {
        const ledger = await create();

        const chat = await ledger.claimDelivery(claim("d-1"));
        const greeter = await ledger.claimDelivery(claim("d-1", 0, 60_000, "greeter"));
        const again = await ledger.claimDelivery(claim("d-1", 1000, 60_000, "greeter"));

        expect([chat.kind, greeter.kind, again.kind]).toEqual(["claimed", "claimed", "duplicate"]);
      });
    });

    describe("stage pin", () => {
      const pin = { reason: "incident 42", by: "ana", at: at(5000), toCommit: sha(3) };
      const toDeploying = () => ({
        from: ["queued" as const],
        to: "deploying" as const,
        at: at(6000),
        unlessPinned: true,
      });

      it("pins once, reads the pin back, and refuses a second pin until unpinned", async () => {
        const ledger = await create();

        const first = await ledger.pin({ stage: "production", service: "chat" }, pin);
        const second = await ledger.pin(
          { stage: "production", service: "chat" },
          { ...pin, reason: "other" },
        );
        const read = await ledger.pinOf({ stage: "production", service: "chat" });
        const released = await ledger.unpin({ stage: "production", service: "chat" });
        const again = await ledger.unpin({ stage: "production", service: "chat" });

        expect(first).toEqual({ kind: "pinned", pin, lastGuarded: 0 });
        expect(second).toEqual({ kind: "already", pin });
        expect(read).toEqual(pin);
        expect(released).toEqual({ kind: "unpinned", pin });
        expect(again).toEqual({ kind: "not-pinned" });
        expect(await ledger.pinOf({ stage: "production", service: "chat" })).toBeUndefined();
        expect(await ledger.pinOf({ stage: "staging", service: "chat" })).toBeUndefined();
      });

      it("refuses a guarded transition while pinned and changes nothing", async () => {
        const ledger = await create();
        const record = await recorded(ledger, { sequence: 1 });
        await ledger.pin({ stage: "production", service: "chat" }, pin);

        const outcome = await ledger.transition(record, toDeploying());

        expect(outcome).toEqual({ kind: "pinned", pin });
        expect((await ledger.get(record))?.state).toBe("queued");
      });

      it("tells the pin which sequence passed the guard before it", async () => {
        const ledger = await create();
        const record = await recorded(ledger, { sequence: 1 });

        const moved = await ledger.transition(record, toDeploying());
        const pinned = await ledger.pin({ stage: "production", service: "chat" }, pin);

        expect(moved.kind).toBe("applied");
        expect(pinned).toEqual({ kind: "pinned", pin, lastGuarded: 1 });
      });

      it("pins one service of a stage and leaves the other's deploys alone", async () => {
        const ledger = await create();
        const chat = await recorded(ledger, { sequence: 1 });
        const greeter = await recorded(ledger, { sequence: 1, service: "greeter" });
        await ledger.pin({ stage: "production", service: "chat" }, pin);

        const held = await ledger.transition(chat, toDeploying());
        const deployed = await ledger.transition(greeter, toDeploying());

        expect(held).toEqual({ kind: "pinned", pin });
        expect(deployed.kind).toBe("applied");
        expect(await ledger.pinOf({ stage: "production", service: "greeter" })).toBeUndefined();
      });

      it("still reports a state conflict before the pin on a guarded transition", async () => {
        const ledger = await create();
        const record = await recorded(ledger, { sequence: 1 });
        await ledger.transition(record, { from: ["queued"], to: "failed", at: at(1) });

        const outcome = await ledger.transition(record, toDeploying());

        expect(outcome).toMatchObject({ kind: "conflict", current: { state: "failed" } });
      });
    });
  });
}
