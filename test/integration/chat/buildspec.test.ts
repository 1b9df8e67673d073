import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { z } from "zod";

const repo = fileURLToPath(new URL("../../../", import.meta.url));

const Buildspec = z.object({
  version: z.literal(0.2),
  env: z.object({ "exported-variables": z.array(z.string()) }),
  phases: z.object({
    install: z.object({ commands: z.array(z.string()) }),
    pre_build: z.object({ commands: z.array(z.string()) }),
    build: z.object({ commands: z.array(z.string()) }),
  }),
});

const digest = `sha256:${"ab".repeat(32)}`;
const imageRepository = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/slipway-prod";
const commit = "0123456789abcdef0123456789abcdef01234567";

// A stand-in for the docker CLI: records its arguments, knows one image tag at most, and
// writes the metadata file `buildx build --metadata-file` would.
const fakeDocker = `#!/usr/bin/env bash
echo "$*" >> "$DOCKER_CALLS"
if [ "$1 $2" = "buildx imagetools" ]; then
  [ -n "$EXISTING_DIGEST" ] && { echo "$EXISTING_DIGEST"; exit 0; }
  echo "not found" >&2; exit 1
fi
if [ "$1 $2" = "buildx build" ]; then
  while [ $# -gt 0 ]; do
    [ "$1" = "--metadata-file" ] && printf '{"containerimage.digest":"%s"}' "$BUILT_DIGEST" > "$2"
    shift
  done
fi
`;

describe("grpc-app/buildspec.yml", () => {
  let spec: z.infer<typeof Buildspec>;
  let scratch: string;

  /** Runs the build phase's commands in bash, as CodeBuild does, with the fake docker. */
  const runBuildPhase = async (env: Record<string, string>) => {
    const calls = join(scratch, `calls-${Math.random()}`);
    await writeFile(calls, "");
    const script = `set -e\n${spec.phases.build.commands.join("\n")}\necho "RESULT=$IMAGE_URI"\n`;
    const { stdout } = await promisify(execFile)("bash", ["-c", script], {
      cwd: scratch,
      env: {
        PATH: `${scratch}:${process.env.PATH}`,
        IMAGE_REPOSITORY: imageRepository,
        CACHE_TAG: "buildcache-main",
        TAG: commit,
        DOCKER_CALLS: calls,
        ...env,
      },
    });
    return { imageUri: /RESULT=(.*)/.exec(stdout)?.[1], calls: await readFile(calls, "utf8") };
  };

  beforeAll(async () => {
    spec = Buildspec.parse(parse(await readFile(join(repo, "grpc-app/buildspec.yml"), "utf8")));
    scratch = await mkdtemp(join(tmpdir(), "slipway-buildspec-"));
    await writeFile(join(scratch, "docker"), fakeDocker);
    await chmod(join(scratch, "docker"), 0o755);
  });
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it("takes BuildKit's image from ECR Public, not Docker Hub, which rate-limits CodeBuild's shared addresses", () => {
    const create = spec.phases.pre_build.commands.find((c) => c.includes("buildx create")) ?? "";
    expect(create).toMatch(/--driver-opt image=public\.ecr\.aws\/\S+/);
  });

  it("exports IMAGE_URI for the build-state-change event", () => {
    expect(spec.env["exported-variables"]).toContain("IMAGE_URI");
  });

  it("tests the workload with the config that exists before it builds anything", () => {
    const test = spec.phases.pre_build.commands.find((c) => c.includes("vitest run"));
    const config = /--config (\S+)/.exec(test ?? "")?.[1] ?? "";

    expect(existsSync(join(repo, config))).toBe(true);
    expect(spec.phases.build.commands.join("\n")).not.toContain("vitest");
  });

  it("builds with buildx and the registry cache, tags the commit, pushes, and exports the digest", async () => {
    const { imageUri, calls } = await runBuildPhase({ BUILT_DIGEST: digest, EXISTING_DIGEST: "" });

    expect(imageUri).toBe(`${imageRepository}@${digest}`);
    const build = calls.split("\n").find((line) => line.startsWith("buildx build")) ?? "";
    expect(build).toContain("--file grpc-app/Dockerfile");
    expect(build).toContain(`--tag ${imageRepository}:${commit}`);
    expect(build).toContain(`--cache-from type=registry,ref=${imageRepository}:buildcache-main`);
    expect(build).toMatch(
      /--cache-to type=registry,ref=\S+:buildcache-main,mode=max,image-manifest=true/,
    );
    expect(build).toContain("--push");
    expect(existsSync(join(repo, "grpc-app/Dockerfile"))).toBe(true);
  });

  it("reuses the image a commit already has, since its tag is immutable", async () => {
    const existing = `sha256:${"cd".repeat(32)}`;

    const { imageUri, calls } = await runBuildPhase({
      BUILT_DIGEST: digest,
      EXISTING_DIGEST: existing,
    });

    expect(imageUri).toBe(`${imageRepository}@${existing}`);
    expect(calls).not.toContain("buildx build");
  });

  it("fails instead of exporting an image without a digest", async () => {
    const run = runBuildPhase({ BUILT_DIGEST: "", EXISTING_DIGEST: "" });

    await expect(run).rejects.toThrow(/no image digest/);
  });
});
