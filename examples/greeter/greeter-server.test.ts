import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GreeterService, startGreeter } from "./greeter-server.ts";

let server: Awaited<ReturnType<typeof startGreeter>>;
type GreeterClient = grpc.Client & {
  sayHello(
    request: { name: string },
    callback: (error: grpc.ServiceError | null, reply: { message: string }) => void,
  ): void;
};
let client: GreeterClient;

const sayHello = (name: string) =>
  new Promise<{ message: string }>((done, fail) => {
    client.sayHello({ name }, (error, reply) => (error ? fail(error) : done(reply)));
  });

beforeAll(async () => {
  server = await startGreeter("127.0.0.1:0");
  client = new GreeterService(
    `127.0.0.1:${server.port}`,
    grpc.credentials.createInsecure(),
  ) as unknown as GreeterClient;
});

afterAll(async () => {
  client.close();
  await server.stop();
});

describe("greeter", () => {
  it("greets the name it is given, and the world when it is given none", async () => {
    expect(await sayHello("Ada")).toEqual({ message: "Hello, Ada!" });
    expect(await sayHello("  ")).toEqual({ message: "Hello, world!" });
  });

  it("refuses a name over 100 characters with INVALID_ARGUMENT", async () => {
    await expect(sayHello("x".repeat(101))).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
    });
  });
});
