import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { motoPython } from "./requirements.ts";

/** Whether the moto virtualenv is provisioned (scripts/provision-moto.sh). */
export const motoInstalled = (): boolean => existsSync(motoPython);

/** A moto server on 127.0.0.1, serialising requests (see moto_server.py for why). */
export type MotoServer = {
  /** `http://127.0.0.1:<port>`, for an AWS SDK client's `endpoint`. */
  endpoint: string;
  /** Settings for any AWS SDK v3 client that should talk to this server. */
  clientConfig: {
    endpoint: string;
    region: string;
    credentials: { accessKeyId: string; secretAccessKey: string };
  };
  stop(): Promise<void>;
};

const launcher = fileURLToPath(new URL("./moto_server.py", import.meta.url));
const live = new Set<ChildProcess>();
// A crashed test run must not leave servers behind.
process.once("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

/**
 * Starts moto through the single-threaded launcher on a port the kernel picks, and waits
 * until it answers. Rejects with the server's last output if it exits or stays silent.
 */
export async function startMoto(options: { startTimeoutMs?: number } = {}): Promise<MotoServer> {
  const child = spawn(motoPython, [launcher, "127.0.0.1", "0"], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, PYTHONUNBUFFERED: "1" },
  });
  live.add(child);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  void exited.then(() => live.delete(child));
  // werkzeug logs every request on stderr; keep only the tail for error messages.
  const tail: string[] = [];
  createInterface({ input: child.stderr }).on("line", (line) => {
    tail.push(line);
    if (tail.length > 30) tail.shift();
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
  };
  try {
    const port = await portFrom(child, options.startTimeoutMs ?? 20_000, () => tail.join("\n"));
    const endpoint = `http://127.0.0.1:${port}`;
    const probe = await fetch(`${endpoint}/moto-api/data.json`);
    if (!probe.ok) throw new Error(`moto answered its readiness probe with ${probe.status}`);
    return {
      endpoint,
      clientConfig: {
        endpoint,
        region: "us-east-1",
        credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

function portFrom(child: ChildProcess, timeoutMs: number, output: () => string): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(`moto printed no port within ${timeoutMs} ms`), timeoutMs);
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    const onExit = (code: number | null, signal: string | null) =>
      fail(`moto exited (${signal ?? `code ${code}`}) before it listened`);
    const onError = (error: Error) => fail(`moto did not start: ${error.message}`);
    function cleanup() {
      clearTimeout(timer);
      child.off("exit", onExit);
      child.off("error", onError);
      lines.off("line", onLine);
    }
    function fail(reason: string) {
      cleanup();
      reject(new Error(`${reason}\n${output()}`));
    }
    function onLine(line: string) {
      const match = /^port=(\d+)$/.exec(line);
      if (match === null) return;
      cleanup();
      resolve(Number(match[1]));
    }
    lines.on("line", onLine);
    child.once("exit", onExit);
    child.once("error", onError);
  });
}
