import { spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";

/** A child process in its own process group, logging to a file. */
export type SupervisedProcess = {
  name: string;
  pid: number;
  logFile: string;
  /** Exit code or signal once the process has ended; undefined while it runs. */
  exitStatus: () => string | undefined;
  /** Resolves when the process has ended, for whatever reason. */
  exited: Promise<void>;
  /** SIGTERM to the group, up to `graceMs` to exit, then SIGKILL. */
  stop: (graceMs?: number) => Promise<void>;
};

// Groups still alive, killed synchronously if this Node process exits without
// calling stop() (a crashed test run), so no apiserver outlives its owner.
const liveGroups = new Set<number>();
process.once("exit", () => {
  for (const pid of liveGroups) signalGroup(pid, "SIGKILL");
});

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone, which is the goal.
  }
}

/**
 * Starts `command` detached (a new process group, so stopping it also stops
 * anything it forks), with stdout and stderr appended to `<logDir>/<name>.log`.
 */
export function startProcess(spec: {
  name: string;
  command: string;
  args: readonly string[];
  logDir: string;
  env?: NodeJS.ProcessEnv;
}): SupervisedProcess {
  const logFile = join(spec.logDir, `${spec.name}.log`);
  const fd = openSync(logFile, "a");
  const child = spawn(spec.command, spec.args, {
    detached: true,
    stdio: ["ignore", fd, fd],
    env: spec.env ?? process.env,
  });
  closeSync(fd);
  let status: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once("error", (error) => {
      status = `failed to start: ${error.message}`;
      resolve();
    });
    child.once("exit", (code, signal) => {
      status = signal ? `killed by ${signal}` : `exited with code ${code}`;
      resolve();
    });
  });
  const pid = child.pid;
  if (pid === undefined) {
    // spawn reports ENOENT and friends asynchronously; the pid is the sync signal.
    return {
      name: spec.name,
      pid: -1,
      logFile,
      exitStatus: () => status ?? "failed to start",
      exited,
      stop: async () => {},
    };
  }
  liveGroups.add(pid);
  void exited.then(() => {
    // The leader is gone; SIGKILL any children it left in the group.
    signalGroup(pid, "SIGKILL");
    liveGroups.delete(pid);
  });

  const stop = async (graceMs = 5_000): Promise<void> => {
    if (status !== undefined) return;
    signalGroup(pid, "SIGTERM");
    // kube-apiserver's graceful shutdown takes 12-30 s; a test cluster's state
    // is thrown away anyway, so the wait is bounded.
    if (!(await settlesWithin(exited, graceMs))) signalGroup(pid, "SIGKILL");
    await exited;
  };
  return { name: spec.name, pid, logFile, exitStatus: () => status, exited, stop };
}

async function settlesWithin(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The last `lines` lines of a process log, for error messages. */
export async function logTail(logFile: string, lines = 20): Promise<string> {
  const text = await readFile(logFile, "utf8").catch(() => "");
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}
