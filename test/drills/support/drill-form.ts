import { fileURLToPath } from "node:url";
import { type BenchSection, machine, writeReport } from "../../../bench/report.ts";

/** SLIPWAY_DRILL=long is the release check; the default short form fits CI (< ~60 s). */
export const longForm = process.env.SLIPWAY_DRILL === "long";
export const formName = longForm ? "long" : "short";

const resultsDir = fileURLToPath(new URL("../../../bench/results/", import.meta.url));

/**
 * Records a drill's figures. The README's tables come from the long form only, so the short
 * CI form prints its figures and writes nothing.
 */
export function recordDrill(name: string, section: BenchSection, summary: string): void {
  console.info(`${name} (${formName}): ${summary}`);
  if (!longForm) return;
  writeReport(resultsDir, `drill-${name}`, {
    generatedAt: new Date().toISOString(),
    machine: machine(),
    sections: [section],
  });
}

/** A small seeded generator (mulberry32), so a failing drill can be replayed exactly. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed a drill uses: SLIPWAY_DRILL_SEED to replay one, otherwise fresh each run. */
export function drillSeed(): number {
  const given = Number(process.env.SLIPWAY_DRILL_SEED);
  return Number.isInteger(given) && given > 0 ? given : Math.floor(Math.random() * 2 ** 31) + 1;
}
