import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { cacheDir } from "./requirements.ts";

const run = promisify(execFile);

/** kubectl 1.35 built by the harness (its kustomize matches the server); else the one on PATH. */
export const kubectlPath = (() => {
  const built = join(cacheDir, "kube", "v1.35.4", "bin", "kubectl");
  return existsSync(built) ? built : "kubectl";
})();

/** Runs kubectl and returns stdout; a non-zero exit rejects with kubectl's own message. */
export async function kubectl(
  args: string[],
  options: { kubeconfig?: string; input?: string; env?: Record<string, string> } = {},
) {
  const env = {
    ...process.env,
    ...options.env,
    ...(options.kubeconfig ? { KUBECONFIG: options.kubeconfig } : {}),
  };
  if (options.input === undefined) {
    const { stdout } = await run(kubectlPath, args, { env, maxBuffer: 32 * 1024 * 1024 });
    return stdout;
  }
  return new Promise<string>((resolve, reject) => {
    const child = execFile(
      kubectlPath,
      args,
      { env, maxBuffer: 32 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`kubectl ${args.join(" ")}: ${stderr || error.message}`));
        else resolve(stdout);
      },
    );
    child.stdin?.end(options.input);
  });
}
