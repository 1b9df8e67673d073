import { type ChildProcess, execFile, spawn } from "node:child_process";
import { chown, mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { postgresBinDir, serverAvailable } from "./requirements.ts";

const run = promisify(execFile);

/** Whether PostgreSQL server binaries are installed; skips loudly (or fails under test:full). */
export const postgresPresent = (): boolean =>
  serverAvailable("PostgreSQL", postgresBinDir() !== undefined);

export type PostgresServer = {
  port: number;
  /** A connection URL for `database` on this server. */
  url(database?: string): string;
  /** Creates a fresh, empty database and returns its URL. */
  createDatabase(name?: string): Promise<string>;
  stop(): Promise<void>;
};

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port: 0 }, () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

// initdb and postgres refuse to run as root, and CI runs as root: run them as the `postgres`
// user that Debian's package creates.
async function serverUser(): Promise<{ uid: number; gid: number } | undefined> {
  if (userInfo().uid !== 0) return undefined;
  const { stdout } = await run("id", ["-u", "postgres"]);
  const { stdout: group } = await run("id", ["-g", "postgres"]);
  return { uid: Number(stdout.trim()), gid: Number(group.trim()) };
}

function waitForReady(child: ChildProcess, log: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      log.push(chunk.toString());
      if (log.join("").includes("database system is ready to accept connections")) {
        child.stderr?.off("data", onData);
        resolve();
      }
    };
    child.stderr?.on("data", onData);
    child.once("exit", (code) =>
      reject(new Error(`postgres exited with ${code} before it was ready:\n${log.join("")}`)),
    );
  });
}

/**
 * Starts a throwaway PostgreSQL on 127.0.0.1 at a free port, with its data in a temp folder
 * and durability off (tests need speed, not crash safety). `stop` removes everything.
 */
export async function startPostgres(): Promise<PostgresServer> {
  const bin = postgresBinDir();
  if (bin === undefined) throw new Error("PostgreSQL is not installed; run scripts/provision.sh");
  const root = await mkdtemp(join(tmpdir(), "slipway-pg-"));
  const user = await serverUser();
  if (user !== undefined) await chown(root, user.uid, user.gid);
  const data = join(root, "data");
  await run(
    join(bin, "initdb"),
    ["-D", data, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--no-locale", "--no-sync"],
    { ...user },
  );
  const port = await freePort();
  const settings = {
    listen_addresses: "127.0.0.1",
    unix_socket_directories: root,
    fsync: "off",
    synchronous_commit: "off",
    full_page_writes: "off",
    max_connections: "200",
  };
  const args = ["-D", data, "-p", String(port)];
  for (const [key, value] of Object.entries(settings)) args.push("-c", `${key}=${value}`);
  const child = spawn(join(bin, "postgres"), args, {
    ...user,
    stdio: ["ignore", "ignore", "pipe"],
  });
  const log: string[] = [];
  await waitForReady(child, log);
  child.stderr?.resume();

  const url = (database = "postgres") => `postgres://postgres@127.0.0.1:${port}/${database}`;
  let created = 0;
  return {
    port,
    url,
    async createDatabase(name) {
      created += 1;
      const database = name ?? `test_${process.pid}_${created}`;
      const admin = new pg.Client({ connectionString: url() });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE "${database}"`);
      } finally {
        await admin.end();
      }
      return url(database);
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        // SIGINT is PostgreSQL's "fast shutdown": it ends sessions instead of waiting for them.
        child.kill("SIGINT");
        await exited;
      }
      await rm(root, { recursive: true, force: true });
    },
  };
}
