import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import type { LogEntry } from "../../../grpc-app/src/log/logger.ts";

const appDir = fileURLToPath(new URL("../../../grpc-app/", import.meta.url));

export type ServerProcess = {
  name: string;
  address: string;
  child: ChildProcess;
  logs: LogEntry[];
  /** What it wrote to stderr (the how-to banner, or a crash). */
  stderr: string[];
  /** The first log entry (past or future) that matches. */
  logged(match: (entry: LogEntry) => boolean): Promise<LogEntry>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
};

/**
 * Runs `node src/chat-main.ts` in grpc-app, exactly as the image does, on Node 24
 * (this test's own runtime), bound to 127.0.0.1:0; resolves once it logs its address.
 */
export async function spawnChatServer(
  name: string,
  env: Record<string, string>,
): Promise<ServerProcess> {
  const child = spawn(process.execPath, ["src/chat-main.ts"], {
    cwd: appDir,
    env: { PATH: process.env.PATH ?? "", GRPC_ADDRESS: "127.0.0.1:0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: LogEntry[] = [];
  const waiters: { match: (entry: LogEntry) => boolean; resolve: (entry: LogEntry) => void }[] = [];
  let buffered = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split("\n");
    buffered = lines.pop() ?? "";
    for (const line of lines.filter(Boolean)) {
      const entry = JSON.parse(line) as LogEntry;
      logs.push(entry);
      for (const waiter of [...waiters]) {
        if (!waiter.match(entry)) continue;
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(entry);
      }
    }
  });
  const stderr: string[] = [];
  child.stderr?.on("data", (chunk: Buffer) => stderr.push(chunk.toString()));
  const exited = once(child, "exit").then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
    at: Date.now(),
  }));
  const logged = (match: (entry: LogEntry) => boolean) => {
    const seen = logs.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise<LogEntry>((resolve) => waiters.push({ match, resolve }));
  };
  const listening = await Promise.race([
    logged((entry) => entry.event === "server.listening"),
    exited.then(({ code }) => {
      throw new Error(`${name} exited with ${code} before listening:\n${stderr.join("")}`);
    }),
  ]);
  return { name, address: String(listening.address), child, logs, stderr, logged, exited };
}

/** Runs the user:add CLI with the password on stdin; resolves with its exit code and output. */
export async function addUser(username: string, password: string, env: Record<string, string>) {
  const child = spawn(process.execPath, ["src/cli/add-user.ts", "--user", username], {
    cwd: appDir,
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin?.end(`${password}\n`);
  const [code] = await once(child, "exit");
  return { code: code as number | null, stdout, stderr };
}
