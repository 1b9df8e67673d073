import type {
  DeploymentFields,
  DeploymentKey,
  DeploymentRecord,
  Lane,
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
  /** Per lane, the highest sequence that passed the deploy guard (`unlessPinned`). */
  const guarded = new Map<string, number>();
  const lane = (key: Lane) => `${key.stage}#${key.service}`;
  const inLane = (record: DeploymentRecord, key: Lane) =>
    record.stage === key.stage && record.service === key.service;
  // One claim per delivery and service: a monorepo's push builds each service on its own.
  const claimId = (deliveryId: string, service: string) => `${deliveryId}#${service}`;
  const id = (key: DeploymentKey) => `${lane(key)}#${key.sequence}`;
  const copy = <T>(value: T): T => structuredClone(value);
  const all = () => [...deployments.values()];
  const nextSequence = (key: Lane) => {
    const next = (counters.get(lane(key)) ?? 0) + 1;
    counters.set(lane(key), next);
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
      const existing = deliveries.get(claimId(claim.deliveryId, claim.service));
      const free =
        existing === undefined ||
        existing.retainUntil <= now ||
        (existing.state === "claimed" && existing.leaseUntil <= now);
      if (!free) return { kind: "duplicate", buildId: existing.buildId };
      const expired = existing !== undefined && existing.retainUntil <= now;
      deliveries.set(claimId(claim.deliveryId, claim.service), {
        state: "claimed",
        leaseUntil: claim.leaseUntil.getTime(),
        retainUntil: claim.retainUntil.getTime(),
        // A taken-over lease keeps its sequence so the retried StartBuild is identical.
        ...(existing?.sequence === undefined || expired ? {} : { sequence: existing.sequence }),
      });
      return { kind: "claimed" };
    },
    async nextSequence(key) {
      return nextSequence(key);
    },
    async assignSequence(deliveryId, key) {
      const delivery = deliveries.get(claimId(deliveryId, key.service));
      if (delivery === undefined) throw new UnclaimedDeliveryError(deliveryId);
      delivery.sequence ??= nextSequence(key);
      return delivery.sequence;
    },
    async recordDeployment(record) {
      if (deployments.has(id(record))) return { kind: "exists" };
      const delivery = deliveries.get(claimId(record.deliveryId, record.service));
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
        const pin = pins.get(lane(key));
        if (pin !== undefined) return { kind: "pinned", pin: copy(pin) };
        guarded.set(lane(key), Math.max(guarded.get(lane(key)) ?? 0, key.sequence));
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
    async latest(key) {
      const newest = all()
        .filter((r) => inLane(r, key))
        .sort((a, b) => b.sequence - a.sequence)[0];
      return newest && copy(newest);
    },
    async history(key, limit = 50) {
      return copy(
        all()
          .filter((r) => inLane(r, key))
          .sort((a, b) => b.sequence - a.sequence)
          .slice(0, limit),
      );
    },
    async inFlight(key) {
      return copy(
        all()
          .filter((r) => inLane(r, key) && inFlightStates.includes(r.state))
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
    async pin(key, pin) {
      const existing = pins.get(lane(key));
      if (existing !== undefined) return { kind: "already", pin: copy(existing) };
      pins.set(lane(key), copy(pin));
      return { kind: "pinned", pin: copy(pin), lastGuarded: guarded.get(lane(key)) ?? 0 };
    },
    async unpin(key) {
      const existing = pins.get(lane(key));
      if (existing === undefined) return { kind: "not-pinned" };
      pins.delete(lane(key));
      return { kind: "unpinned", pin: existing };
    },
    async pinOf(key) {
      const pin = pins.get(lane(key));
      return pin && copy(pin);
    },
  };
}
