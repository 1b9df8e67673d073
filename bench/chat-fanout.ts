import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { hashPassword } from "../grpc-app/src/auth/password-hash.ts";
import { type PostgresServer, startPostgres } from "../test/harness/postgres.ts";
import { postgresBinDir } from "../test/harness/requirements.ts";
import { createSender, login, type Sender } from "./chat-sender.ts";
import { baselineMain, chatMain, type ServerProcess, spawnServer } from "./chat-server-process.ts";
import {
  createSubscriberPool,
  measuredText,
  probeText,
  type SubscriberPool,
} from "./chat-subscribers.ts";
import type { HeapProbe } from "./heap-probe.ts";
import { type HeapAtCount, heapChange, heapRows } from "./heap-rows.ts";
import {
  type BenchSection,
  type Measurement,
  machine,
  median,
  percentile,
  targetNote,
  toMarkdown,
  writeReport,
} from "./report.ts";
import { sweepChart } from "./sweep-chart.ts";

type Settings = {
  subscriberCounts: number[];
  /** The sender's rate, unless that would offer more than `maxDeliveriesPerSecond`. */
  perSecond: number;
  /**
   * 50 notes/s to 1,000 subscribers (50,000 deliveries/s) saturates this shared 2-core machine:
   * the bare baseline delivered half of them and the chat server cut its readers as too slow
   * (RESOURCE_EXHAUSTED, by design). Above this cap the rate drops so every case fits.
   */
  maxDeliveriesPerSecond: number;
  seconds: number;
  /** How long to wait for stragglers after the last send before counting what arrived. */
  drainMs: number;
  /** The ceiling search: offered deliveries/s at `sweepSubscribers`, each for `seconds`. */
  sweep: number[];
  sweepSubscribers: number;
  /** What "sustains" means: every delivery arrives and the p99 stays below this. */
  sustainedP99Ms: number;
  /** The subscriber count at which each server's heap is read after a forced full GC. */
  heapAt: number;
};

const rateFor = (s: Settings, subscribers: number) =>
  Math.min(s.perSecond, s.maxDeliveriesPerSecond / subscribers);

const settings = (quick: boolean): Settings => ({
  subscriberCounts: [1, 100, 1000],
  perSecond: 50,
  maxDeliveriesPerSecond: 5000,
  seconds: quick ? 2 : 10,
  drainMs: quick ? 3000 : 5000,
  // Past 40k/s, where a quiet machine sustained all three servers, until the generator saturates.
  sweep: quick ? [5000, 20_000] : [5000, 10_000, 20_000, 30_000, 40_000, 50_000, 60_000, 80_000],
  sweepSubscribers: 1000,
  sustainedP99Ms: 250,
  heapAt: 1000,
});

// Headroom over the largest subscriber count, so the benchmark never runs at the limit.
const maxStreams = (s: Settings) =>
  Math.ceil(1.5 * Math.max(...s.subscriberCounts, s.sweepSubscribers));

type Kind = "baseline" | "memory" | "postgres";

/** One server under test with its client side: a sender and a growing pool of subscribers. */
type Target = {
  kind: Kind;
  server: ServerProcess;
  sender: Sender;
  pool: SubscriberPool;
  idleRss: number;
  /** The heap after full GCs before the first stream opened (bench/heap-probe.ts). */
  idleHeap: HeapProbe;
  lastId: number;
  probes: number;
};

type Figures = {
  subscribers: number;
  perSecond: number;
  sent: number;
  deliveriesPerSecond: number;
  /** Deliveries that arrived over those expected (sent × open streams). */
  completeness: number;
  p50: number;
  p99: number;
  rssPerSubscriberKiB: number;
  /** Median VmRSS during the window, in bytes. */
  rssBytes: number;
  cpuMsPerThousand: number;
  /** Share of one core the server and the client process used during the window. */
  serverCores: number;
  clientCores: number;
  ended: Record<string, number>;
  /** Notes per second the sender achieved, against `perSecond` asked. */
  sentPerSecond: number;
  /** The load generator fell behind: it sent under 95 % of the rate, or used a whole core. */
  saturated: boolean;
  /** At `heapAt` subscribers: the heap after full GCs, read after the window, against idle. */
  heap?: HeapAtCount;
};

const user = "bench";
const kibibyte = 1024;

async function sampleRss(server: ServerProcess, samples: number, everyMs: number) {
  const values: number[] = [];
  for (let i = 0; i < samples; i += 1) {
    values.push(server.rssBytes());
    await delay(everyMs);
  }
  return median(values);
}

async function prepare(kind: Kind, server: ServerProcess, password: string): Promise<Target> {
  const token = kind === "baseline" ? "none" : await login(server.address, user, password);
  const room = `bench-${randomBytes(4).toString("hex")}`;
  const sender = createSender(server.address, room, token);
  const pool = createSubscriberPool({ address: server.address, room, token, connections: 4 });
  // Warm the send path (JIT, pooled connections) before the idle measurement.
  let lastId = 0;
  for (let i = 0; i < 20; i += 1) lastId = await sender.send(probeText(-1));
  const idleRss = await sampleRss(server, 5, 100);
  // After the idle RSS, so the VmRSS rows compare with an idle process as it was, GC or not.
  const idleHeap = await server.heapAfterGc();
  return { kind, server, sender, pool, idleRss, idleHeap, lastId, probes: 0 };
}

/** Opens streams up to `total` and waits until every one of them is live. */
async function growTo(target: Target, total: number): Promise<void> {
  target.pool.grow(total, target.lastId);
  // A stream opened after a probe was sent may miss it on the baseline (which has no replay),
  // so probe again until every stream has seen one. Bounded: 20 probes of 3 s.
  for (let attempt = 0; attempt < 20; attempt += 1) {
    target.probes += 1;
    target.lastId = await target.sender.send(probeText(target.probes));
    const seen = await target.pool.allSawProbe(target.probes, 3000).then(
      () => true,
      () => false,
    );
    if (seen) return;
  }
  throw new Error(`${target.kind}: not all of ${total} streams went live within 60 s`);
}

async function measure(
  target: Target,
  phase: number,
  s: Settings,
  perSecond = rateFor(s, target.pool.size()),
): Promise<Figures> {
  const { server, pool, sender } = target;
  const subscribers = pool.size();
  const count = Math.round(perSecond * s.seconds);
  const rss: number[] = [];
  let sampling = true;
  const sampler = (async () => {
    for (let i = 0; sampling && i < 10_000; i += 1) {
      rss.push(server.rssBytes());
      await delay(250);
    }
  })();
  const cpuBefore = server.cpuMs();
  const clientBefore = process.cpuUsage();
  const wallBefore = performance.now();
  const tally = pool.startPhase(phase);
  const sent = await sender.atRate(count, perSecond, (seq, at) => measuredText(phase, seq, at));
  await pool.delivered((count - sent.failed) * subscribers, s.drainMs);
  const cpuMs = server.cpuMs() - cpuBefore;
  const client = process.cpuUsage(clientBefore);
  const wallMs = performance.now() - wallBefore;
  sampling = false;
  await sampler;
  target.lastId = Math.max(target.lastId, sent.lastId);
  // The last note leaves (count − 1) periods after the first; one more period is its share.
  const seconds = (tally.lastDeliveryAt - sent.firstSentAt + 1000 / perSecond) / 1000;
  const sentPerSecond =
    count > 1 ? ((count - 1) * 1000) / (sent.lastSentAt - sent.firstSentAt) : perSecond;
  const clientCores = (client.user + client.system) / 1000 / wallMs;
  return {
    subscribers,
    perSecond,
    sent: count,
    deliveriesPerSecond: seconds > 0 ? tally.delivered / seconds : 0,
    completeness: tally.delivered / (count * subscribers),
    p50: percentile(tally.latenciesMs, 50),
    p99: percentile(tally.latenciesMs, 99),
    rssPerSubscriberKiB: (median(rss) - target.idleRss) / subscribers / kibibyte,
    rssBytes: median(rss),
    cpuMsPerThousand: tally.delivered > 0 ? (cpuMs / tally.delivered) * 1000 : Number.NaN,
    serverCores: cpuMs / wallMs,
    clientCores,
    ended: pool.ended(),
    sentPerSecond,
    saturated: sentPerSecond < 0.95 * perSecond || clientCores > 0.9,
  };
}

/**
 * `figures` of the window just measured, with the heap read after it (at `heapAt` streams).
 * After the window, so the forced GCs neither pause it nor change the RSS it sampled.
 */
async function withHeap(target: Target, figures: Figures): Promise<Figures> {
  const heap = {
    subscribers: figures.subscribers,
    idle: target.idleHeap,
    open: await target.server.heapAfterGc(),
  };
  process.stderr.write(`bench: chat-fanout ${target.kind} heap: ${heapChange(heap)}\n`);
  return { ...figures, heap };
}

const titles: Record<Kind, string> = {
  baseline: "Chat fan-out: bare grpc-js ceiling",
  memory: "Chat fan-out: chat server, embedded (memory) store",
  postgres: "Chat fan-out: chat server, PostgreSQL store",
};

function section(kind: Kind, figures: Figures[], baseline: Figures[], s: Settings): BenchSection {
  const ratio = (pick: (f: Figures) => number, n: number, value: number) => {
    if (kind === "baseline") return undefined;
    const base = baseline.find((f) => f.subscribers === n);
    return base === undefined || pick(base) === 0 ? undefined : value / pick(base);
  };
  // Between two subscriber counts of one process the heap's one-off growth (young generation,
  // JIT, pools) is mostly behind us, so the difference is what streams themselves cost.
  const marginal = (list: Figures[], n: number) => {
    const index = list.findIndex((f) => f.subscribers === n);
    const [before, after] = [list[index - 1], list[index]];
    if (before === undefined || after === undefined) return undefined;
    return (after.rssBytes - before.rssBytes) / (after.subscribers - before.subscribers) / kibibyte;
  };
  const rows: Measurement[] = figures.flatMap((f, index): Measurement[] => {
    const n = f.subscribers;
    const previous = figures[index - 1]?.subscribers;
    const added = marginal(figures, n);
    const addedBase = marginal(baseline, n);
    const perAdded: Measurement[] =
      added === undefined
        ? []
        : [
            {
              name: `server RSS per added subscriber, ${previous} → ${n}`,
              unit: "KiB",
              median: added,
              note: "(VmRSS at the larger count − VmRSS at the smaller) / subscribers added",
              ...(kind === "baseline" || addedBase === undefined || addedBase <= 0
                ? {}
                : { ratioToBaseline: added / addedBase }),
            },
          ];
    const ended = Object.entries(f.ended)
      .map(([code, count]) => `${count} streams ended with code ${code}`)
      .join(", ");
    const deliveries: Measurement = {
      name: `deliveries/s, ${n} subscribers`,
      unit: "msg/s",
      median: f.deliveriesPerSecond,
      note: `total across subscribers at ${f.perSecond} notes/s; ${(f.completeness * 100).toFixed(1)}% of ${n} × ${
        f.sent
      } delivered; CPU: server ${f.serverCores.toFixed(2)}, client ${f.clientCores.toFixed(2)} cores${
        ended ? `; ${ended}` : ""
      }`,
      ratioToBaseline: ratio((b) => b.deliveriesPerSecond, n, f.deliveriesPerSecond),
    };
    const latency: Measurement = {
      name: `send→receive latency, ${n} subscribers`,
      unit: "ms",
      median: f.p50,
      p99: f.p99,
      note: "SendNote call to ChatStream message, same client process",
      ratioToBaseline: ratio((b) => b.p50, n, f.p50),
    };
    const rssRatio = ratio((b) => b.rssPerSubscriberKiB, n, f.rssPerSubscriberKiB);
    // Issue 19: memory per stream ≤ 1.5× bare grpc-js at 1,000 subscribers.
    const rssTarget =
      n === s.heapAt && rssRatio !== undefined
        ? `; ${targetNote(Number(rssRatio.toFixed(2)), 1.5, "× bare grpc-js")}`
        : "";
    const rss: Measurement = {
      name: `server RSS per subscriber, ${n} subscribers`,
      unit: "KiB",
      median: f.rssPerSubscriberKiB,
      note:
        n === 1
          ? "(VmRSS with the stream − VmRSS idle); one stream is below the noise of heap growth"
          : `(VmRSS with N streams − VmRSS idle) / N${rssTarget}`,
      ratioToBaseline: rssRatio,
    };
    const cpu: Measurement = {
      name: `server CPU per 1,000 deliveries, ${n} subscribers`,
      unit: "ms",
      median: f.cpuMsPerThousand,
      note:
        n === 1
          ? "user + system time of the server process; fixed costs (timers, health) dominate"
          : "user + system time of the server process during the window",
      ratioToBaseline: ratio((b) => b.cpuMsPerThousand, n, f.cpuMsPerThousand),
    };
    const heap =
      f.heap === undefined
        ? []
        : heapRows(
            f.heap,
            kind === "baseline" ? undefined : baseline.find((b) => b.subscribers === n)?.heap,
          );
    return [deliveries, latency, rss, ...perAdded, ...heap, cpu];
  });
  return {
    id: `chat-fanout-${kind}`,
    title: titles[kind],
    method:
      `One server process; ${s.subscriberCounts.join(", ")} ChatStream subscribers of one room ` +
      `over 4 HTTP/2 connections from one client process; a sender at ${s.perSecond} notes/s, ` +
      `or fewer so as to offer at most ${s.maxDeliveriesPerSecond} deliveries/s (50 × 1,000 ` +
      `saturates this shared 2-core machine), for ${s.seconds} s, stamping its send time in the text. ` +
      `After the ${s.heapAt}-subscriber window, and once idle before the first stream, the server ` +
      "runs two forced full GCs and reports its heap (bench/heap-probe.ts, preloaded into every " +
      "server process with --expose-gc and asked over an IPC channel).",
    ...(kind === "baseline"
      ? {}
      : {
          baseline:
            "the same contract on bare grpc-js in its own process (no auth, store, queue or " +
            "backpressure), same client, same rate, measured in the same run",
        }),
    rows,
  };
}

const sustains = (f: Figures, s: Settings) =>
  !f.saturated &&
  f.completeness >= 1 &&
  Object.keys(f.ended).length === 0 &&
  f.p99 < s.sustainedP99Ms;

const names: Record<Kind, string> = {
  baseline: "bare grpc-js",
  memory: "memory store",
  postgres: "PostgreSQL store",
};

export const sweepChartPath = "bench/results/chat-fanout-sweep.svg";
const sweepAlt = "delivered/s and p99 latency against offered load at 1,000 subscribers";

function sweepSection(sweeps: Map<Kind, Figures[]>, s: Settings): BenchSection {
  const highest = (kind: Kind) =>
    Math.max(
      0,
      ...(sweeps.get(kind) ?? [])
        .filter((f) => sustains(f, s))
        .map((f) => f.perSecond * f.subscribers),
    );
  const base = highest("baseline");
  const points: Measurement[] = [...sweeps].flatMap(([kind, list]) =>
    list.map((f) => {
      const ended = Object.entries(f.ended)
        .map(([code, count]) => `${count} streams ended with code ${code}`)
        .join(", ");
      return {
        name: `${names[kind]}, offered ${f.perSecond * f.subscribers}/s`,
        unit: "msg/s",
        median: f.deliveriesPerSecond,
        p99: f.p99,
        note:
          `p99 is send→receive in ms; ${(f.completeness * 100).toFixed(1)}% delivered; ` +
          `sender ${f.sentPerSecond.toFixed(1)} of ${f.perSecond} notes/s; CPU: server ` +
          `${f.serverCores.toFixed(2)}, client ${f.clientCores.toFixed(2)} cores` +
          (f.saturated ? "; **load generator saturated**" : "") +
          (ended ? `; ${ended}` : "") +
          (sustains(f, s) ? "; sustained" : ""),
      };
    }),
  );
  const ceilings: Measurement[] = [...sweeps.keys()].map((kind) => {
    const list = sweeps.get(kind) ?? [];
    const saturatedAt = list.find((f) => f.saturated);
    return {
      name: `highest sustained rate, ${names[kind]}`,
      unit: "deliveries/s",
      median: highest(kind),
      note:
        `0 lost and p99 < ${s.sustainedP99Ms} ms` +
        (saturatedAt
          ? `; the load generator saturated at ${saturatedAt.perSecond * saturatedAt.subscribers}/s, so the ceiling may be higher`
          : ""),
      ...(kind === "baseline" || base === 0 ? {} : { ratioToBaseline: highest(kind) / base }),
    };
  });
  return {
    id: "chat-fanout-sweep",
    title: "Chat fan-out: the ceiling at 1,000 subscribers",
    method:
      `${s.sweepSubscribers} ChatStream subscribers of one room on each server, offered ` +
      `${s.sweep.map((r) => `${r / 1000}k`).join(", ")} deliveries/s (notes/s × subscribers) ` +
      `for ${s.seconds} s each, the servers in turn at each rate; the sender and the ` +
      "subscribers share one client process, which is flagged as saturated when it sends " +
      "under 95 % of the asked rate or uses a whole core. A server leaves the sweep after the " +
      "first rate at which it loses deliveries, ends streams or saturates the generator. Sustained: every delivery " +
      `arrived, no stream ended and p99 < ${s.sustainedP99Ms} ms.`,
    baseline: "the highest rate bare grpc-js sustains in the same run",
    rows: [...ceilings, ...points],
    chart: {
      path: sweepChartPath,
      alt: sweepAlt,
    },
  };
}

/**
 * Chat fan-out at 1, 100 and 1,000 subscribers on one server process, for the memory and the
 * PostgreSQL store, against a bare grpc-js server in the same run. The cases are interleaved
 * (each subscriber count on every server in turn) so a busy machine skews all of them alike.
 */
export async function run(options: { quick: boolean }): Promise<BenchSection[]> {
  const s = settings(options.quick);
  const password = randomBytes(12).toString("base64url");
  const seed = `${user}:${await hashPassword(password)}`;
  // `info` is the lowest level that still announces `server.listening`. Every subscriber is the
  // one bench account, so its per-user cap (20 by default) is raised like the global one:
  // without it the servers took 20 streams and the rows said 20 subscribers.
  const common = {
    SEED_USERS: seed,
    MAX_STREAMS: String(maxStreams(s)),
    MAX_STREAMS_PER_USER: String(maxStreams(s)),
    LOG_LEVEL: "info",
  };
  let postgres: PostgresServer | undefined;
  const targets: Target[] = [];
  try {
    if (postgresBinDir() !== undefined) postgres = await startPostgres();
    const databaseUrl = await postgres?.createDatabase("bench_chat_fanout");
    const starts: Array<Promise<[Kind, ServerProcess]>> = [
      spawnServer(baselineMain, {}).then((p) => ["baseline", p]),
      spawnServer(chatMain, common).then((p) => ["memory", p]),
    ];
    if (databaseUrl !== undefined) {
      const env = {
        ...common,
        DATABASE_URL: databaseUrl,
        TOKEN_SECRET: randomBytes(32).toString("base64url"),
      };
      starts.push(spawnServer(chatMain, env).then((p) => ["postgres", p]));
    }
    for (const [kind, server] of await Promise.all(starts)) {
      targets.push(await prepare(kind, server, password));
    }
    const figures = new Map<Kind, Figures[]>(targets.map((t) => [t.kind, []]));
    let phase = 0;
    for (const n of s.subscriberCounts) {
      for (const target of targets) {
        await growTo(target, n);
        phase += 1;
        const measured = await measure(target, phase, s);
        figures
          .get(target.kind)
          ?.push(n === s.heapAt ? await withHeap(target, measured) : measured);
      }
    }
    const baseline = figures.get("baseline") ?? [];
    const sweeps = new Map<Kind, Figures[]>(targets.map((t) => [t.kind, []]));
    let sweeping = [...targets];
    for (const offered of s.sweep) {
      for (const target of sweeping) {
        await growTo(target, s.sweepSubscribers);
        phase += 1;
        const f = await measure(target, phase, s, offered / s.sweepSubscribers);
        sweeps.get(target.kind)?.push(f);
        process.stderr.write(
          `bench: chat-fanout ${target.kind} at ${offered}/s: ${f.deliveriesPerSecond.toFixed(0)}/s, p99 ${f.p99.toFixed(0)} ms${f.saturated ? ", generator saturated" : ""}\n`,
        );
      }
      // Past a rate where a server lost notes or cut streams, the next rate says nothing new.
      sweeping = sweeping.filter((t) => {
        const last = sweeps.get(t.kind)?.at(-1);
        return (
          last !== undefined &&
          last.completeness >= 1 &&
          Object.keys(last.ended).length === 0 &&
          !last.saturated
        );
      });
    }
    writeFileSync(
      join(import.meta.dirname, "..", sweepChartPath),
      sweepChart(
        [...sweeps].map(([kind, list]) => ({
          name: names[kind],
          points: list.map((f) => ({
            offered: f.perSecond * f.subscribers,
            delivered: f.deliveriesPerSecond,
            p99Ms: f.p99,
            saturated: f.saturated,
          })),
        })),
        s.sustainedP99Ms,
        sweepAlt,
      ),
    );
    return [
      ...targets.map((t) => section(t.kind, figures.get(t.kind) ?? [], baseline, s)),
      sweepSection(sweeps, s),
    ];
  } finally {
    for (const target of targets) {
      target.pool.close();
      target.sender.close();
    }
    await Promise.all(targets.map((t) => t.server.stop()));
    await postgres?.stop();
  }
}

if (import.meta.main) {
  const quick = process.argv.includes("--quick");
  const sections = await run({ quick });
  const report = { generatedAt: new Date().toISOString(), machine: machine(), sections };
  // Only a full run is worth publishing; a quick one is a smoke test.
  const dir = fileURLToPath(new URL("./results/", import.meta.url));
  const markdown = quick ? toMarkdown(report) : writeReport(dir, "chat-fanout", report);
  process.stdout.write(`${markdown}\n`);
  if (postgresBinDir() === undefined) {
    process.stderr.write("PostgreSQL is not installed: its section was left out.\n");
  }
}
