import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { createDynamoLedger, createLedgerTable } from "@slipway/ledger";
import { describeLedgerContract } from "@slipway/ledger/testing";
import { afterAll, beforeAll, describe } from "vitest";
import { type MotoServer, motoInstalled, startMoto } from "../../harness/moto.ts";
import { serverAvailable } from "../../harness/requirements.ts";

describe.runIf(serverAvailable("moto (DynamoDB)", motoInstalled()))(
  "DynamoDB ledger on moto",
  () => {
    let moto: MotoServer;
    let client: DynamoDBClient;
    let tables = 0;

    beforeAll(async () => {
      moto = await startMoto();
      client = new DynamoDBClient(moto.clientConfig);
    });
    afterAll(async () => {
      client?.destroy();
      await moto?.stop();
    });

    // A fresh table per test keeps tests independent without restarting the server.
    describeLedgerContract("DynamoDB", async () => {
      const tableName = `ledger-${++tables}`;
      await createLedgerTable(client, tableName);
      return createDynamoLedger({ client: DynamoDBDocumentClient.from(client), tableName });
    });
  },
);
