import { startChatProcess } from "./server/start-chat-process.ts";

// The chat server alone, as its Deployment runs it (`node src/chat-main.ts`); `npm start`
// (main.ts) runs it together with the web client.
await startChatProcess();
