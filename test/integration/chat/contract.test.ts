import { afterAll, beforeAll, describe } from "vitest";
import { createMemoryStore } from "../../../grpc-app/src/store/memory-store.ts";
import { createPostgresStore } from "../../../grpc-app/src/store/postgres-store.ts";
import { type PostgresServer, postgresPresent, startPostgres } from "../../harness/postgres.ts";
import { chatContract } from "./chat-contract.ts";
import { tapLogs } from "./chat-fixture.ts";

describe("the chat contract on the embedded in-memory store", () => {
  chatContract(async () => ({ store: createMemoryStore(), close: async () => {} }));
});

describe.runIf(postgresPresent())("the chat contract on PostgreSQL", () => {
  let postgres: PostgresServer;
  beforeAll(async () => {
    postgres = await startPostgres();
  });
  afterAll(async () => {
    await postgres?.stop();
  });

  chatContract(async () => {
    const store = await createPostgresStore({
      connectionString: await postgres.createDatabase(),
      logger: tapLogs().logger,
    });
    return { store, close: () => store.close() };
  });
});
