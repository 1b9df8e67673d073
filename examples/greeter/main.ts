import { startGreeter } from "./greeter-server.ts";

// The greeter's process: GRPC_ADDRESS (default 0.0.0.0:50051); SIGTERM drains, then exits.
const started = await startGreeter(process.env.GRPC_ADDRESS ?? "0.0.0.0:50051");
console.log(JSON.stringify({ level: "INFO", message: "greeter listening", port: started.port }));
process.once("SIGTERM", () => {
  void started.stop().then(() => process.exit(0));
});
