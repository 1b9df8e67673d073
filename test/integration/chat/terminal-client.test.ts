import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMemoryStore } from "../../../grpc-app/src/store/memory-store.ts";
import { newRoom, sendNote, startTestServer, type TestServer } from "./chat-fixture.ts";

const appDir = fileURLToPath(new URL("../../../grpc-app/", import.meta.url));

/** Resolves with the first stdout line that contains `text`. */
function lineWith(child: ChildProcess, text: string): Promise<string> {
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  return new Promise((resolve) =>
    lines.on("line", (line) => {
      if (line.includes(text)) resolve(line);
    }),
  );
}

describe("the terminal client (npm run chat)", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(createMemoryStore());
  });
  afterAll(async () => {
    await t?.stop();
  });

  it("logs in, prints the room's notes and sends each typed line", async () => {
    const alice = await t.signIn("alice");
    const bob = await t.signIn("bob");
    const room = newRoom();
    await sendNote(t.chat, bob.token, room, "history before alice came");
    const cli = spawn(
      process.execPath,
      ["src/cli/chat.ts", "--address", t.server.address, "--user", "alice", "--room", room],
      { cwd: appDir, env: { PATH: process.env.PATH ?? "", CHAT_PASSWORD: alice.password } },
    );
    const history = lineWith(cli, "bob: history before alice came");
    const own = lineWith(cli, "alice: hello from the terminal");
    const live = lineWith(cli, "bob: hi alice");

    await history;
    cli.stdin.write("hello from the terminal\n");
    await own;
    await sendNote(t.chat, bob.token, room, "hi alice");
    await live;
    cli.stdin.end();
    const [code] = await once(cli, "exit");

    expect(code).toBe(0);
    const stored = await t.server.store.listAfter(room, 0, 10);
    expect(stored.map((n) => `${n.author}: ${n.text}`)).toEqual([
      "bob: history before alice came",
      "alice: hello from the terminal",
      "bob: hi alice",
    ]);
  });

  it("exits 1 with a clear message when the password is wrong", async () => {
    const cli = spawn(
      process.execPath,
      ["src/cli/chat.ts", "--address", t.server.address, "--user", "alice", "--room", newRoom()],
      { cwd: appDir, env: { PATH: process.env.PATH ?? "", CHAT_PASSWORD: "wrong-password" } },
    );
    let stderr = "";
    cli.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });

    const [code] = await once(cli, "exit");

    expect(code).toBe(1);
    expect(stderr).toContain("login failed: wrong username or password");
  });
});
