import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { rulerClasspathFile } from "./requirements.ts";

/** AWS Event Ruler in one JVM: checks whether EventBridge would match an event to a pattern. */
export interface EventRuler {
  matches(pattern: unknown, event: unknown): Promise<boolean>;
  stop(): Promise<void>;
}

export const eventRulerAvailable = () => existsSync(rulerClasspathFile);

export async function startEventRuler(): Promise<EventRuler> {
  const classpath = readFileSync(rulerClasspathFile, "utf8").trim();
  const source = join(import.meta.dirname, "event-ruler", "RulerCheck.java");
  const jvm: ChildProcessWithoutNullStreams = spawn("java", ["-cp", classpath, source], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stderr = "";
  jvm.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const lines = createInterface({ input: jvm.stdout })[Symbol.asyncIterator]();
  const nextLine = async (): Promise<Record<string, unknown>> => {
    const { value, done } = await lines.next();
    if (done) throw new Error(`Event Ruler exited: ${stderr}`);
    return JSON.parse(value) as Record<string, unknown>;
  };
  await nextLine(); // {"ready":true}

  // One request at a time: replies come back in order on one pipe.
  let queue: Promise<unknown> = Promise.resolve();
  return {
    matches(pattern, event) {
      const result = queue.then(async () => {
        jvm.stdin.write(`${JSON.stringify({ pattern, event })}\n`);
        const reply = await nextLine();
        if (typeof reply.error === "string") throw new Error(`Event Ruler: ${reply.error}`);
        return reply.matches === true;
      });
      queue = result.catch(() => undefined);
      return result;
    },
    async stop() {
      jvm.stdin.end();
      await new Promise((resolve) => jvm.once("exit", resolve));
    },
  };
}
