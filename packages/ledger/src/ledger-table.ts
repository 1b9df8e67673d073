import {
  CreateTableCommand,
  type DynamoDBClient,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from "@aws-sdk/client-dynamodb";

/**
 * The ledger's single-table layout, for infra (sst.aws.Dynamo) and for test setups.
 *
 * | item       | pk                 | sk                        | notes                             |
 * | ---------- | ------------------ | ------------------------- | --------------------------------- |
 * | delivery   | `DELIVERY#<id>`    | `DELIVERY`                | TTL `expiresAt` (epoch seconds)   |
 * | body       | `BODY#<sha256>`    | `BODY`                    | the delivery id that claimed it; TTL |
 * | counter    | `STAGE#<stage>`    | `SEQUENCE`                | atomic `ADD` on `sequenceValue`   |
 * | deployment | `STAGE#<stage>`    | `DEPLOYMENT#<seq, padded>`| a stage's history is one Query    |
 * | pin        | `STAGE#<stage>`    | `PIN`                     | `pinAt` set while pinned; the deploy guard marks `lastGuarded` |
 *
 * `inFlight` is a local index over `inFlightSk`, set only while a build may run: local
 * indexes allow strongly consistent reads, which supersede depends on (a GSI would lag).
 */
export const ledgerTable = {
  partitionKey: "pk",
  sortKey: "sk",
  ttlAttribute: "expiresAt",
  indexes: {
    inFlight: { kind: "local", sortKey: "inFlightSk" },
    byCommit: { kind: "global", partitionKey: "commit", sortKey: "createdAt" },
  },
} as const;

/** Creates the ledger table (on-demand) with its indexes and TTL; for tests and local runs. */
export async function createLedgerTable(client: DynamoDBClient, tableName: string): Promise<void> {
  const { inFlight, byCommit } = ledgerTable.indexes;
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [
        "pk",
        "sk",
        inFlight.sortKey,
        byCommit.partitionKey,
        byCommit.sortKey,
      ].map((name) => ({ AttributeName: name, AttributeType: "S" })),
      KeySchema: [
        { AttributeName: ledgerTable.partitionKey, KeyType: "HASH" },
        { AttributeName: ledgerTable.sortKey, KeyType: "RANGE" },
      ],
      LocalSecondaryIndexes: [
        {
          IndexName: "inFlight",
          KeySchema: [
            { AttributeName: ledgerTable.partitionKey, KeyType: "HASH" },
            { AttributeName: inFlight.sortKey, KeyType: "RANGE" },
          ],
          Projection: { ProjectionType: "ALL" },
        },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: "byCommit",
          KeySchema: [
            { AttributeName: byCommit.partitionKey, KeyType: "HASH" },
            { AttributeName: byCommit.sortKey, KeyType: "RANGE" },
          ],
          Projection: { ProjectionType: "ALL" },
        },
      ],
    }),
  );
  await waitUntilTableExists({ client, maxWaitTime: 30 }, { TableName: tableName });
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: ledgerTable.ttlAttribute, Enabled: true },
    }),
  );
}
