import { resolve } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { HealthImplementation } from "grpc-health-check";

/** The greeter's contract, loaded from proto/ at start-up: no generated code to keep in step. */
const definition = protoLoader.loadSync(
  resolve(import.meta.dirname, "../../proto/greeter/v1/greeter.proto"),
  { keepCase: false, defaults: true },
);
const loaded = grpc.loadPackageDefinition(definition) as unknown as {
  greeter: { v1: { GreeterService: grpc.ServiceClientConstructor } };
};
export const GreeterService = loaded.greeter.v1.GreeterService;

/** Names are echoed back; a bounded length keeps an answer small whatever is sent. */
const maxNameLength = 100;

const handlers: grpc.UntypedServiceImplementation = {
  sayHello(
    call: grpc.ServerUnaryCall<{ name: string }, { message: string }>,
    callback: grpc.sendUnaryData<{ message: string }>,
  ) {
    const name = call.request.name.trim();
    if (name.length > maxNameLength) {
      callback({
        code: grpc.status.INVALID_ARGUMENT,
        details: `name over ${maxNameLength} characters`,
      });
      return;
    }
    callback(null, { message: `Hello, ${name || "world"}!` });
  },
};

/**
 * Starts the greeter and the standard grpc.health.v1 service on `address` (port 0 picks one).
 * `stop` sets health to NOT_SERVING, then lets calls in flight finish within `graceMs`.
 */
export async function startGreeter(address: string, graceMs = 10_000) {
  const server = new grpc.Server();
  const health = new HealthImplementation({
    "": "SERVING",
    "greeter.v1.GreeterService": "SERVING",
  });
  server.addService(GreeterService.service, handlers);
  health.addToServer(server);
  const port = await new Promise<number>((done, fail) => {
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (error, bound) => {
      if (error) {
        fail(error);
        return;
      }
      done(bound);
    });
  });
  return {
    port,
    stop: () =>
      new Promise<void>((done) => {
        health.setStatus("", "NOT_SERVING");
        health.setStatus("greeter.v1.GreeterService", "NOT_SERVING");
        const force = setTimeout(() => server.forceShutdown(), graceMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          done();
        });
      }),
  };
}
