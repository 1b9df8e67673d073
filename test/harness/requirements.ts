import { existsSync, readdirSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/** Where provisioned servers and tool builds live, outside the repository. */
export const cacheDir = process.env.SLIPWAY_CACHE ?? join(homedir(), ".cache", "slipway");

/**
 * The full test command sets this: there, a missing server is a failure, never a skip.
 * The inner-loop `npm test` leaves it unset and skips tiers whose servers are missing, loudly.
 */
export const serversRequired = process.env.SLIPWAY_REQUIRE_SERVERS === "1";

const reported = new Set<string>();

/**
 * Whether a real server is installed. Under the full test command a missing one throws;
 * otherwise it prints a banner naming what is skipped and how to provision it.
 */
export function serverAvailable(name: string, present: boolean): boolean {
  if (present) return true;
  if (serversRequired) {
    throw new Error(
      `${name} is not provisioned; run scripts/provision.sh (npm run test:full does)`,
    );
  }
  if (!reported.has(name)) {
    reported.add(name);
    console.warn(
      `\n!!! SKIPPING every test that needs ${name}: it is not provisioned on this machine.\n` +
        "!!! Run `npm run test:full` (provisions and runs everything) before you trust a green run.\n",
    );
  }
  return false;
}

/** The newest PostgreSQL server binaries from Debian's packages, if installed. */
export function postgresBinDir(): string | undefined {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, "bin", "initdb")))
    .sort((a, b) => Number(a) - Number(b));
  const newest = versions.at(-1);
  return newest === undefined ? undefined : join(root, newest, "bin");
}

export const chromiumPath = "/usr/bin/chromium";
export const motoPython = join(cacheDir, "moto-5.2.5", "bin", "python");
export const rulerClasspathFile = join(cacheDir, "event-ruler-2.1.0", "classpath.txt");
