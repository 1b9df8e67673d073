import { execFile } from "node:child_process";
import { cp, mkdir, readFile, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { promisify } from "node:util";

/** One Dockerfile instruction, continuation lines joined. */
export type Instruction = { keyword: string; args: string };

export type Stage = { from: string; name: string; instructions: Instruction[] };

/** Splits a Dockerfile into stages of instructions (comments and blank lines dropped). */
export function parseDockerfile(text: string): Stage[] {
  const logical = text
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
  const stages: Stage[] = [];
  for (const line of logical) {
    const [keyword = "", ...rest] = line.split(/\s+/);
    const args = rest.join(" ");
    if (keyword.toUpperCase() === "FROM") {
      const [from = "", , name = String(stages.length)] = args.split(/\s+/);
      stages.push({ from, name, instructions: [] });
    } else {
      stages.at(-1)?.instructions.push({ keyword: keyword.toUpperCase(), args });
    }
  }
  return stages;
}

export type Replayed = {
  /** Each stage's filesystem root. */
  roots: Map<string, string>;
  final: {
    root: string;
    workdir: string;
    env: Record<string, string>;
    user?: string;
    cmd: string[];
  };
};

/**
 * Replays a Dockerfile's COPY, RUN, WORKDIR, ENV, USER and CMD with each stage's "/" mapped
 * to a folder under `scratch`, and RUN executed by the host's shell. It is not Docker, but it
 * runs the very commands the image build runs, on the same files, so the two cannot drift.
 */
export async function replayDockerfile(
  stages: Stage[],
  context: string,
  scratch: string,
  runEnv: Record<string, string>,
  ignored: (path: string) => boolean,
): Promise<Replayed> {
  const roots = new Map<string, string>();
  let final: Replayed["final"] | undefined;
  for (const stage of stages) {
    const root = join(scratch, stage.name);
    await mkdir(root, { recursive: true });
    roots.set(stage.name, root);
    let workdir = "/";
    const env: Record<string, string> = {};
    let user: string | undefined;
    let cmd: string[] = [];
    for (const { keyword, args } of stage.instructions) {
      if (keyword === "WORKDIR") {
        workdir = args.startsWith("/") ? args : join(workdir, args);
        await mkdir(join(root, workdir), { recursive: true });
      } else if (keyword === "ENV") {
        for (const pair of args.split(/\s+/)) {
          const [key = "", value = ""] = pair.split("=");
          env[key] = value;
        }
      } else if (keyword === "COPY") {
        const parts = args.split(/\s+/);
        const fromFlag = parts.find((p) => p.startsWith("--from="));
        const paths = parts.filter((p) => !p.startsWith("--"));
        const destination = paths.pop() ?? ".";
        const sourceRoot = fromFlag ? (roots.get(fromFlag.slice(7)) ?? "") : context;
        const target = join(
          root,
          destination.startsWith("/") ? destination : join(workdir, destination),
        );
        for (const source of paths) {
          // As in Docker: a folder's contents land in the destination; a file lands inside a
          // destination that ends with "/".
          const from = join(sourceRoot, source);
          const isFile = (await stat(from)).isFile();
          const into =
            isFile && destination.endsWith("/") ? join(target, basename(source)) : target;
          await cp(from, into, {
            recursive: true,
            filter: (path) => fromFlag !== undefined || !ignored(path),
          });
        }
      } else if (keyword === "RUN") {
        await promisify(execFile)("sh", ["-c", args], {
          cwd: join(root, workdir),
          env: { ...process.env, ...env, ...runEnv },
        });
      } else if (keyword === "USER") {
        user = args;
      } else if (keyword === "CMD") {
        cmd = JSON.parse(args) as string[];
      }
    }
    final = { root, workdir, env, user, cmd };
  }
  if (final === undefined) throw new Error("the Dockerfile has no stage");
  return { roots, final };
}

/** The patterns of a .dockerignore as a predicate over absolute paths under `context`. */
export async function dockerignore(
  file: string,
  context: string,
): Promise<(path: string) => boolean> {
  const patterns = (await readFile(file, "utf8"))
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
  const toRegex = (text: string) =>
    text.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*");
  const regexes = patterns.map(
    (pattern) => new RegExp(`^${pattern.split("**/").map(toRegex).join("(.*/)?")}(/.*)?$`),
  );
  return (path) => {
    const relative = path.slice(context.length + 1);
    return regexes.some((regex) => regex.test(relative));
  };
}
