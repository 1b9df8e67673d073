import { Server, ServerCredentials, type ServerWritableStream } from "@grpc/grpc-js";
import {
  type ChatServiceServer,
  ChatServiceService,
  type ChatStreamRequest,
  type ChatStreamResponse,
} from "../grpc-app/src/gen/chat/v1/chat.ts";

type Subscriber = ServerWritableStream<ChatStreamRequest, ChatStreamResponse>;

/**
 * The practical ceiling for chat fan-out: the same ChatService contract on bare grpc-js, with
 * no auth, no store, no per-subscriber queue and no backpressure. SendNote builds the message
 * once and writes it to every open stream of the room at once; ChatStream only registers.
 */
export function baselineChatService(): ChatServiceServer {
  const rooms = new Map<string, Set<Subscriber>>();
  let lastId = 0;
  return {
    sendNote(call, callback) {
      lastId += 1;
      const sentAt = new Date();
      const message = {
        note: {
          id: lastId,
          room: call.request.room,
          author: "bench",
          text: call.request.text,
          sentAt,
        },
      };
      for (const subscriber of rooms.get(call.request.room) ?? []) subscriber.write(message);
      callback(null, { id: lastId, sentAt });
    },
    chatStream(call) {
      const set = rooms.get(call.request.room) ?? new Set<Subscriber>();
      rooms.set(call.request.room, set);
      set.add(call);
      call.on("cancelled", () => set.delete(call));
    },
  };
}

/** Starts the baseline on `address` (port 0 picks one); resolves with the bound address. */
export async function startBaselineServer(
  address: string,
): Promise<{ server: Server; address: string }> {
  const server = new Server();
  server.addService(ChatServiceService, baselineChatService());
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(address, ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return { server, address: `${address.slice(0, address.lastIndexOf(":"))}:${port}` };
}

// Run as its own process by the fan-out bench; it announces itself as the chat server does.
if (import.meta.main) {
  const { server, address } = await startBaselineServer(process.env.GRPC_ADDRESS ?? "127.0.0.1:0");
  process.stdout.write(`${JSON.stringify({ event: "server.listening", address })}\n`);
  process.on("SIGTERM", () => {
    server.forceShutdown();
    process.exit(0);
  });
}
