import type {
  DeploymentFields,
  DeploymentKey,
  DeploymentRecord,
  Ledger,
  StagePin,
} from "@slipway/core";
import {
  assertRetention,
  assertTransition,
  DeploymentNotFoundError,
  inFlightStates,
  UnclaimedDeliveryError,
} from "@slipway/core";
import type { LedgerInspection } from "../ledger-inspection.ts";

type DeliveryEntry = {
  state: "claimed" | "started";
  leaseUntil: number;
  retainUntil: number;
  sequence?: number;
  buildId?: string;
};

/**
 * The ledger's rules in memory, for unit tests and local runs. It passes the same contract
 * suite as the DynamoDB ledger; JavaScript's single thread makes each method atomic.
 */
/** The memory ledger: core's port, plus what the contract tests inspect. */
export type MemoryLedger = Ledger & LedgerInspection;

export function createMemoryLedger(): MemoryLedger {
  const deliveries = new Map<string, DeliveryEntry>();
  const counters = new Map<string, number>();
  const deployments = new Map<string, DeploymentRecord>();
  const pins = new Map<string, StagePin>();
  /** Per stage, the highest sequence that passed the deploy guard (`unlessPinned`). */
  const guarded = new Map<string, number>();
  const id = (key: DeploymentKey) => `${key.stage}#${key.sequence}`;
  const copy = <T>(value: T): T => structuredClone(value);
  const all = () => [...deployments.values()];
  const nextSequence = (stage: string) => {
    const next = (counters.get(stage) ?? 0) + 1;
    counters.set(stage, next);
    return next;
  };
  const stored = (key: DeploymentKey) => {
    const record = deployments.get(id(key));
    if (record === undefined) throw new DeploymentNotFoundError(key.stage, key.sequence);
    return record;
  };

  const bodies = new Map<string, { deliveryId: string; retainUntil: number }>();

  return {
    async claimBody(claim) {
      assertRetention(claim.claimedAt, claim.retainUntil);
      const held = bodies.get(claim.bodyDigest);
      if (
        held !== undefined &&
        held.deliveryId !== claim.deliveryId &&
        held.retainUntil > claim.claimedAt.getTime()
      ) {
        return { kind: "taken", deliveryId: held.deliveryId };
      }
      bodies.set(claim.bodyDigest, {
        deliveryId: claim.deliveryId,
        retainUntil: claim.retainUntil.getTime(),
      });
      return { kind: "claimed" };
    },
    async claimDelivery(claim) {
      assertRetention(claim.claimedAt, claim.retainUntil);
      const now = claim.claimedAt.getTime();
      const existing = deliveries.get(claim.deliveryId);
      const free =
        existing === undefined ||
        existing.retainUntil <= now ||
        (existing.state === "claimed" && existing.leaseUntil <= now);
      if (!free) return { kind: "duplicate", buildId: existing.buildId };
      const expired = existing !== undefined && existing.retainUntil <= now;
      deliveries.set(claim.deliveryId, {
        state: "claimed",
        leaseUntil: claim.leaseUntil.getTime(),
        retainUntil: claim.retainUntil.getTime(),
        // A taken-over lease keeps its sequence so the retried StartBuild is identical.
        ...(existing?.sequence === undefined || expired ? {} : { sequence: existing.sequence }),
      });
      return { kind: "claimed" };
    },
    async nextSequence(stage) {
      return nextSequence(stage);
    },
    async assignSequence(deliveryId, stage) {
      const delivery = deliveries.get(deliveryId);
      if (delivery === undefined) throw new UnclaimedDeliveryError(deliveryId);
      delivery.sequence ??= nextSequence(stage);
      return delivery.sequence;
    },
    async recordDeployment(record) {
      if (deployments.has(id(record))) return { kind: "exists" };
      const delivery = deliveries.get(record.deliveryId);
      if (delivery === undefined) throw new UnclaimedDeliveryError(record.deliveryId);
      deployments.set(id(record), copy(record));
      delivery.state = "started";
      delivery.buildId = record.buildId;
      return { kind: "recorded" };
    },
    async transition(key, change) {
      assertTransition(change.from, change.to);
      const current = deployments.get(id(key));
      if (current === undefined || !change.from.includes(current.state)) {
        return { kind: "conflict", current: current && copy(current) };
      }
      if (change.unlessPinned) {
        const pin = pins.get(key.stage);
        if (pin !== undefined) return { kind: "pinned", pin: copy(pin) };
        guarded.set(key.stage, Math.max(guarded.get(key.stage) ?? 0, key.sequence));
      }
      const at = change.at.toISOString();
      const next: DeploymentRecord = {
        ...current,
        ...change.fields,
        state: change.to,
        updatedAt: at,
        transitions: [...current.transitions, { state: change.to, at }],
      };
      deployments.set(id(key), next);
      return { kind: "applied", record: copy(next) };
    },
    async annotate(key: DeploymentKey, fields: DeploymentFields, at: Date) {
      const record = stored(key);
      deployments.set(id(key), { ...record, ...fields, updatedAt: at.toISOString() });
    },
    async get(key) {
      const record = deployments.get(id(key));
      return record && copy(record);
    },
    async latest(stage) {
      const newest = all()
        .filter((r) => r.stage === stage)
        .sort((a, b) => b.sequence - a.sequence)[0];
      return newest && copy(newest);
    },
    async history(stage, limit = 50) {
      return copy(
        all()
          .filter((r) => r.stage === stage)
          .sort((a, b) => b.sequence - a.sequence)
          .slice(0, limit),
      );
    },
    async inFlight(stage) {
      return copy(
        all()
          .filter((r) => r.stage === stage && inFlightStates.includes(r.state))
          .sort((a, b) => a.sequence - b.sequence),
      );
    },
    async byCommit(commit) {
      return copy(
        all()
          .filter((r) => r.commit === commit)
          .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.sequence - b.sequence),
      );
    },
    async pin(stage, pin) {
      const existing = pins.get(stage);
      if (existing !== undefined) return { kind: "already", pin: copy(existing) };
      pins.set(stage, copy(pin));
      return { kind: "pinned", pin: copy(pin), lastGuarded: guarded.get(stage) ?? 0 };
    },
    async unpin(stage) {
      const existing = pins.get(stage);
      if (existing === undefined) return { kind: "not-pinned" };
      pins.delete(stage);
      return { kind: "unpinned", pin: existing };
    },
    async pinOf(stage) {
      const pin = pins.get(stage);
      return pin && copy(pin);
    },
  };
}
