import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BenchSection, machine, median, percentile, writeReport } from "../../bench/report.ts";
import { hashPassword } from "../../grpc-app/src/auth/password-hash.ts";
import { createChatClient, passwordSession } from "../../grpc-app/src/client/chat-client.ts";
import { type PostgresServer, postgresPresent, startPostgres } from "../harness/postgres.ts";
import { type ServerProcess, spawnChatServer } from "../integration/chat/server-process.ts";
import { auditNotes } from "./support/note-audit.ts";
import { startSteadySender } from "./support/steady-sender.ts";
import { startFleet } from "./support/subscriber-fleet.ts";

// The short form runs in CI (< 60 s on a busy 2-core machine); SLIPWAY_DRILL=long is the
// release check (< 5 min): more subscribers, a faster sender, and every replica twice.
const long = process.env.SLIPWAY_DRILL === "long";
const form = long
  ? { name: "long", subscribers: 200, perSecond: 40, rounds: 2, steadyNotes: 80 }
  : { name: "short", subscribers: 40, perSecond: 20, rounds: 1, steadyNotes: 20 };
const replicaCount = 3;
const graceMs = 5000;
const catchUpMs = 30_000;
const resultsDir = fileURLToPath(new URL("../../bench/results/", import.meta.url));

async function storedIds(databaseUrl: string, room: string): Promise<number[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const result = await client.query<{ id: string }>(
      "SELECT id FROM chat_notes WHERE room = $1 ORDER BY id",
      [room],
    );
    return result.rows.map((row) => Number(row.id));
  } finally {
    await client.end();
  }
}

describe.runIf(postgresPresent())(`rolling restart drill (${form.name} form)`, () => {
  let postgres: PostgresServer;
  let env: Record<string, string>;
  const replicas: ServerProcess[] = [];
  const password = randomBytes(12).toString("base64url");

  beforeAll(async () => {
    postgres = await startPostgres();
    env = {
      DATABASE_URL: await postgres.createDatabase(),
      TOKEN_SECRET: randomBytes(32).toString("base64url"),
      SEED_USERS: `drill:${await hashPassword(password)}`,
      SHUTDOWN_GRACE_MS: String(graceMs),
    };
    replicas.push(
      ...(await Promise.all(
        Array.from({ length: replicaCount }, (_, i) => spawnChatServer(`R${i}`, env)),
      )),
    );
  });
  afterAll(async () => {
    for (const replica of replicas) replica.child.kill("SIGKILL");
    await postgres?.stop();
  });

  it(`loses and duplicates no note at any of ${form.subscribers} subscribers while every replica is restarted in turn`, async () => {
    // Prepare: one room, the fleet spread over the replicas, a steady sender through all of them.
    const addresses = replicas.map((replica) => replica.address);
    const room = `drill-${randomBytes(4).toString("hex")}`;
    const login = createChatClient({ address: addresses });
    const auth = passwordSession(login, "drill", password);
    const fleet = startFleet({ addresses, room, auth, count: form.subscribers });
    const restarts = replicaCount * form.rounds;
    // Bounded: enough notes for every steady period plus the restarts themselves.
    const sender = startSteadySender({
      addresses,
      room,
      auth,
      perSecond: form.perSecond,
      maxNotes: form.steadyNotes * (restarts + 2) + form.perSecond * 60,
    });
    const steady = async () => {
      await sender.ackedAtLeast(sender.acked.length + form.steadyNotes);
      await fleet.allReached(Math.max(...sender.acked), catchUpMs);
    };
    await steady();

    // Act: SIGTERM each replica, wait for it to drain and exit, start its replacement on the
    // same address (as a rolling deploy does), let traffic settle, then the next one.
    const drainsMs: number[] = [];
    const downMs: number[] = [];
    const exits: Array<{ code: number | null; signal: string | null }> = [];
    for (let restart = 0; restart < restarts; restart += 1) {
      const index = restart % replicaCount;
      const old = replicas[index] as ServerProcess;
      const signalledAt = Date.now();
      old.child.kill("SIGTERM");
      const exit = await old.exited;
      exits.push({ code: exit.code, signal: exit.signal });
      drainsMs.push(exit.at - signalledAt);
      replicas[index] = await spawnChatServer(`R${index}'`, { ...env, GRPC_ADDRESS: old.address });
      downMs.push(Date.now() - signalledAt);
      await steady();
    }
    await sender.stop();
    const lastAcked = Math.max(...sender.acked);
    await fleet.allReached(lastAcked, catchUpMs);
    await fleet.stop();
    login.close();

    // Assess: every subscriber holds exactly the room's stored notes, in order, once each.
    const stored = await storedIds(env.DATABASE_URL as string, room);
    const audits = fleet.records.map((record) => auditNotes(stored, record.received));
    const worst = (pick: (a: (typeof audits)[number]) => number[]) =>
      Math.max(...audits.map((a) => pick(a).length));
    const reconnectsMs = fleet.records.flatMap((record) => record.reconnectsMs);
    const ackedIds = new Set(sender.acked);
    const unacked = stored.filter((id) => !ackedIds.has(id)).length;
    const endings = new Map<string, number>();
    for (const ending of fleet.records.flatMap((record) => record.endings)) {
      endings.set(ending, (endings.get(ending) ?? 0) + 1);
    }
    const figures = {
      endedBy: [...endings].map(([code, count]) => `${count} ${code}`).join(", "),
      failedAttempts: fleet.records.reduce((sum, record) => sum + record.failedAttempts, 0),
      notes: stored.length,
      lost: worst((a) => a.lost),
      duplicated: worst((a) => a.duplicated),
      reconnects: reconnectsMs.length,
      reconnectP50: percentile(reconnectsMs, 50),
      reconnectP99: percentile(reconnectsMs, 99),
      drainP50: median(drainsMs),
      drainMax: Math.max(...drainsMs),
      downP50: median(downMs),
      downMax: Math.max(...downMs),
    };
    console.info(
      `rolling-restart (${form.name}): ${replicaCount} replicas, ${restarts} restarts, ` +
        `${form.subscribers} subscribers, ${figures.notes} notes at ${form.perSecond}/s; ` +
        `worst subscriber lost ${figures.lost}, duplicated ${figures.duplicated}; ` +
        `${figures.reconnects} reconnects (streams ended: ${figures.endedBy}), p50 ${figures.reconnectP50.toFixed(0)} ms, ` +
        `p99 ${figures.reconnectP99.toFixed(0)} ms; drain p50 ${figures.drainP50} ms, ` +
        `replica down p50 ${figures.downP50} ms`,
    );
    // The README's figures come from the long form; the short CI form only prints them.
    if (long) {
      writeReport(resultsDir, "drill-rolling-restart", {
        generatedAt: new Date().toISOString(),
        machine: machine(),
        sections: [drillSection(figures, unacked, sender.failures.length, restarts)],
      });
    }

    expect(sender.failures).toEqual([]);
    expect(exits).toEqual(Array.from({ length: restarts }, () => ({ code: 0, signal: null })));
    expect(stored.length).toBeGreaterThanOrEqual(sender.acked.length);
    expect(
      audits.filter((a) => a.lost.length + a.duplicated.length + a.outOfOrder.length > 0),
    ).toEqual([]);
    expect(fleet.records.map((record) => record.received.length)).toEqual(
      fleet.records.map(() => stored.length),
    );
    // Every subscriber's replica was restarted at least once, so each one reconnected.
    expect(fleet.records.filter((record) => record.reconnectsMs.length === 0)).toEqual([]);
  });
});

function drillSection(
  f: {
    endedBy: string;
    failedAttempts: number;
    notes: number;
    lost: number;
    duplicated: number;
    reconnects: number;
    reconnectP50: number;
    reconnectP99: number;
    drainP50: number;
    drainMax: number;
    downP50: number;
    downMax: number;
  },
  unacked: number,
  sendFailures: number,
  restarts: number,
): BenchSection {
  return {
    id: "drill-rolling-restart",
    title: `Rolling restart drill (${form.name} form)`,
    method:
      `${replicaCount} chat server processes on one PostgreSQL; ${form.subscribers} ChatStream ` +
      `subscribers (the real client, resuming with its cursor on the next replica) spread over ` +
      `them; a sender at ${form.perSecond} notes/s through all replicas; each replica in turn ` +
      `(${restarts} restarts) gets SIGTERM, drains, exits, and is replaced on the same port.`,
    rows: [
      { name: "notes stored", unit: "notes", median: f.notes },
      {
        name: "notes lost, worst subscriber",
        unit: "notes",
        median: f.lost,
        note: "stored but never received",
      },
      {
        name: "notes duplicated, worst subscriber",
        unit: "notes",
        median: f.duplicated,
        note: "received more than once",
      },
      {
        name: "reconnect time",
        unit: "ms",
        median: f.reconnectP50,
        p99: f.reconnectP99,
        note: `stream end to first note on the next replica, over ${f.reconnects} reconnects (ended: ${f.endedBy})`,
      },
      {
        name: "reconnect attempts that failed",
        unit: "attempts",
        median: f.failedAttempts,
        note: "the next replica was down or refused, so the client moved on again",
      },
      {
        name: "drain time",
        unit: "ms",
        median: f.drainP50,
        p99: f.drainMax,
        note: `SIGTERM to exit 0 (grace ${graceMs} ms); p99 column is the maximum`,
      },
      {
        name: "replica away",
        unit: "ms",
        median: f.downP50,
        p99: f.downMax,
        note: "SIGTERM to its replacement listening; p99 column is the maximum",
      },
      {
        name: "sends failed after failover",
        unit: "notes",
        median: sendFailures,
      },
      {
        name: "notes stored by a retried send",
        unit: "notes",
        median: unacked,
        note: "at-least-once sends: stored without an acknowledgement, still delivered once each",
      },
    ],
  };
}
