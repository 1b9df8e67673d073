import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { z } from "zod";

/** The web client's entry point, run as its own process as in the cluster. */
export const webMainPath = fileURLToPath(new URL("./web-main.ts", import.meta.url));

/** Set for a web process whose stdin is its parent's lifeline (see web-main.ts). */
export const parentPipeVariable = "SLIPWAY_WEB_PARENT_PIPE";

/** The log line the web process writes once it accepts connections. */
const Listening = z.object({ event: z.literal("web.listening"), url: z.string() });

export type WebProcess = {
  readonly url: string;
  readonly pid: number;
  /** Resolves with the exit code (or the signal's name) once the process has ended. */
  readonly exited: Promise<number | string>;
  /** Sends `signal` (SIGTERM drains; SIGKILL is a crash) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
};

/** The web process ended before it served, typically over bad configuration. */
export class WebProcessError extends Error {
  override readonly name = "WebProcessError";
}

/**
 * Starts the web client as a child process on the same Node, with `env` added to this
 * process's environment, and resolves once it listens. Its stdout lines (JSON logs) go to
 * `onLog`, by default to this process's stdout.
 */
export function startWebProcess(options: {
  env: Record<string, string>;
  onLog?: (line: string) => void;
  timeoutMs?: number;
}): Promise<WebProcess> {
  // Its own process group, so a terminal's Ctrl-C reaches only the parent, which stops the
  // child once (no second signal that would force an exit). The stdin pipe is the child's
  // lifeline: it closes when the parent dies in any way, and the child then stops too.
  const child = spawn(process.execPath, [webMainPath], {
    env: { ...process.env, ...options.env, [parentPipeVariable]: "1" },
    stdio: ["pipe", "pipe", "inherit"],
    detached: true,
  });
  const exited = new Promise<number | string>((resolve) => {
    child.once("exit", (code, signal) => resolve(code ?? signal ?? "unknown"));
  });
  const onLog = options.onLog ?? ((line: string) => process.stdout.write(`${line}\n`));
  return new Promise<WebProcess>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new WebProcessError(`web process did not listen within ${options.timeoutMs} ms`));
    }, options.timeoutMs ?? 15_000);
    exited.then((how) => {
      clearTimeout(timer);
      reject(new WebProcessError(`web process exited (${how}) before it served`));
    });
    createInterface({ input: readable(child) }).on("line", (line) => {
      onLog(line);
      const listening = Listening.safeParse(parseJson(line));
      if (!listening.success) return;
      clearTimeout(timer);
      resolve({
        url: listening.data.url,
        pid: child.pid ?? 0,
        exited,
        stop: (signal = "SIGTERM") => {
          child.kill(signal);
          return exited;
        },
      });
    });
  });
}

function readable(child: ChildProcess): NodeJS.ReadableStream {
  if (child.stdout === null) throw new WebProcessError("web process has no stdout pipe");
  return child.stdout;
}

function parseJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}
