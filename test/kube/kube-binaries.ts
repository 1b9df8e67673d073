import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const buildScript = fileURLToPath(new URL("../../scripts/kube-build.sh", import.meta.url));

/**
 * Runs scripts/kube-build.sh and returns the folder with the binaries. The
 * script reuses its cache in well under a second; a cold build takes 7-13 min
 * on 2 cores, so its progress is passed through to stderr as it happens.
 */
export function ensureKubeBinaries(): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", [buildScript], { stdio: ["ignore", "pipe", "inherit"] });
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      const binDir = stdout.trim().split("\n").at(-1);
      if (code === 0 && binDir) resolve(binDir);
      else reject(new Error(`${buildScript} failed (${signal ?? `exit code ${code}`})`));
    });
  });
}
