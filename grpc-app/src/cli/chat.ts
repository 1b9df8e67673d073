import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { status } from "@grpc/grpc-js";
import { z } from "zod";
import { createChatClient, type Note, passwordSession } from "../client/chat-client.ts";

const usage = `A terminal chat client: streams a room and sends each line you type.

  npm run --workspace grpc-app chat -- --user alice --room general
      [--address 127.0.0.1:50051[,host:port…]] [--after <id>]

The password comes from CHAT_PASSWORD, else it is asked for (not echoed).
Several addresses: it moves to the next one when a server goes away, and resumes where it was.
Ctrl-D or Ctrl-C quits.`;

const Args = z.object({
  user: z.string().min(1, "--user is required"),
  room: z.string().default("general"),
  address: z.string().default(process.env.GRPC_TARGET ?? "127.0.0.1:50051"),
  after: z.coerce.number().int().nonnegative().default(0),
});

/** Reads one line from a terminal without echoing it. */
function askHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  if (!stdin.isTTY) {
    const lines = createInterface({ input: stdin });
    return new Promise((resolve) =>
      lines.once("line", (line) => {
        lines.close();
        resolve(line);
      }),
    );
  }
  stdin.setRawMode(true);
  stdin.resume();
  let typed = "";
  return new Promise((resolve) => {
    const onData = (chunk: Buffer) => {
      for (const char of chunk.toString("utf8")) {
        if (char === "\u0003") process.exit(130);
        if (char === "\r" || char === "\n") {
          stdin.off("data", onData);
          stdin.setRawMode(false);
          stdin.pause();
          process.stderr.write("\n");
          resolve(typed);
          return;
        }
        typed = char === "\u007f" ? typed.slice(0, -1) : typed + char;
      }
    };
    stdin.on("data", onData);
  });
}

const format = (note: Note) => {
  const time = note.sentAt?.toISOString().slice(11, 19) ?? "--:--:--";
  return `#${note.id} ${time} ${note.author}: ${note.text}`;
};

const { values } = parseArgs({
  options: {
    user: { type: "string" },
    room: { type: "string" },
    address: { type: "string" },
    after: { type: "string" },
    help: { type: "boolean" },
  },
});
if (values.help) {
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}
const parsed = Args.safeParse(values);
if (!parsed.success) {
  process.stderr.write(`${parsed.error.issues.map((i) => i.message).join("\n")}\n\n${usage}\n`);
  process.exit(2);
}
const args = parsed.data;
const password = process.env.CHAT_PASSWORD ?? (await askHidden(`password for ${args.user}: `));
const client = createChatClient({ address: args.address.split(",") });
const auth = passwordSession(client, args.user, password);
try {
  await auth.token();
} catch (error) {
  process.stderr.write(`login failed: ${(error as { details?: string }).details ?? error}\n`);
  process.exit(1);
}
process.stderr.write(`signed in as ${args.user}; room ${args.room}; type a line to send it\n`);

const following = client.follow({
  auth,
  room: args.room,
  afterId: args.after,
  onNote: (note) => process.stdout.write(`${format(note)}\n`),
  onRetry: (retry) =>
    process.stderr.write(
      `(${status[retry.code]}: ${retry.details}; resuming after #${following.cursor()})\n`,
    ),
});
const quit = (code: number) => {
  following.stop();
  client.close();
  process.exit(code);
};
following.done.catch((error: { details?: string }) => {
  process.stderr.write(`stream ended: ${error.details ?? error}\n`);
  quit(1);
});

const lines = createInterface({ input: process.stdin });
let sending = Promise.resolve();
lines.on("line", (line) => {
  if (line.trim() === "") return;
  // One after another, so notes keep the order they were typed in.
  sending = sending.then(() =>
    client.send(auth, args.room, line).then(
      () => {},
      (error: { details?: string }) => {
        process.stderr.write(`not sent: ${error.details ?? error}\n`);
      },
    ),
  );
});
lines.on("close", () => void sending.then(() => quit(0)));
process.on("SIGINT", () => quit(0));
