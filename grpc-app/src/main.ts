import { startChatProcess } from "./server/start-chat-process.ts";
import { startWebProcess } from "./web/web-process.ts";

// `npm start`: the chat server on the configured store (in memory unless DATABASE_URL is set),
// and beside it the web client as its own process, talking gRPC to it as in the cluster.
await startChatProcess(async (chat, demo) => {
  const web = await startWebProcess({ env: { GRPC_TARGET: chat.address } });
  const signIn = demo === undefined ? "" : ` and sign in as ${demo.username} / ${demo.password}`;
  process.stderr.write(`web client: open ${web.url}${signIn}\n\n`);
  return async () => void (await web.stop());
});
