import { spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { HeapProbe, HeapProbeAnswer, HeapProbeRequest } from "./heap-probe.ts";

/** Where a benchmarked server process runs: its address and what the kernel says it costs. */
export type ServerProcess = {
  address: string;
  pid: number;
  /** Resident set size now, from /proc/<pid>/status (VmRSS). */
  rssBytes(): number;
  /** CPU time (user + system) the process has used so far, from /proc/<pid>/stat. */
  cpuMs(): number;
  /** Forces full GCs in the process and reads its heap and RSS after them (bench/heap-probe.ts). */
  heapAfterGc(timeoutMs?: number): Promise<HeapProbe>;
  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  stop(graceMs?: number): Promise<void>;
};

export const chatMain = fileURLToPath(new URL("../grpc-app/src/chat-main.ts", import.meta.url));
export const baselineMain = fileURLToPath(new URL("./chat-baseline-server.ts", import.meta.url));
const heapProbe = pathToFileURL(fileURLToPath(new URL("./heap-probe.ts", import.meta.url))).href;

// Linux reports CPU time in clock ticks; USER_HZ is 100 on every mainstream kernel build.
const ticksPerSecond = 100;

function rssOf(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8")
    .split("\n")
    .find((l) => l.startsWith("VmRSS:"));
  const kib = Number(line?.match(/(\d+)\s*kB/)?.[1]);
  if (!Number.isFinite(kib)) throw new Error(`no VmRSS for process ${pid}`);
  return kib * 1024;
}

function cpuOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15 of the whole line, so 11 and 12 after the name.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
}

/**
 * Runs `script` with this process's Node (24) as a separate process, so its memory is its own
 * and the client load does not share its event loop. Resolves once it logs `server.listening`
 * (the chat server's JSON log line, which the baseline server imitates). Every server runs with
 * the heap probe preloaded and an IPC channel to it, the baseline as much as the chat server,
 * so what the probe itself costs is the same on each side of a ratio.
 */
export async function spawnServer(
  script: string,
  env: Record<string, string>,
  startTimeoutMs = 60_000,
): Promise<ServerProcess> {
  const child = spawn(process.execPath, ["--expose-gc", "--import", heapProbe, script], {
    env: { PATH: process.env.PATH ?? "", GRPC_ADDRESS: "127.0.0.1:0", ...env },
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  // The channel must not keep this process alive either once the bench is done with the server.
  child.channel?.unref();
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${script}`);
  const stderr: string[] = [];
  child.stderr?.on("data", (chunk: Buffer) => stderr.push(chunk.toString()));
  const exited = once(child, "exit");
  const address = await new Promise<string>((resolve, reject) => {
    let buffered = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${script} did not listen within ${startTimeoutMs} ms`));
    }, startTimeoutMs);
    child.stdout?.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const line of lines) {
        if (!line.includes('"server.listening"')) continue;
        clearTimeout(timer);
        resolve(String((JSON.parse(line) as { address: unknown }).address));
      }
    });
    void exited.then(([code]) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code} before listening:\n${stderr.join("")}`));
    });
  });
  return {
    address,
    pid,
    rssBytes: () => rssOf(pid),
    cpuMs: () => cpuOf(pid),
    heapAfterGc(timeoutMs = 30_000) {
      const request: HeapProbeRequest = "heap-probe";
      return new Promise<HeapProbe>((resolve, reject) => {
        const onMessage = (message: unknown) => {
          const answer = (message as Partial<HeapProbeAnswer> | null)?.[request];
          if (answer === undefined) return;
          settle();
          resolve(answer);
        };
        const timer = setTimeout(() => {
          settle();
          reject(new Error(`${script} did not answer the heap probe within ${timeoutMs} ms`));
        }, timeoutMs);
        const settle = () => {
          clearTimeout(timer);
          child.off("message", onMessage);
        };
        child.on("message", onMessage);
        child.send(request);
      });
    },
    async stop(graceMs = 5000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
