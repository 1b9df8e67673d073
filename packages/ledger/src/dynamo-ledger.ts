import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { translateAwsError } from "@slipway/aws";
import {
  assertRetention,
  assertTransition,
  type DeliveryClaimOutcome,
  type DeploymentFields,
  type DeploymentKey,
  DeploymentNotFoundError,
  DeploymentRecord,
  inFlightStates,
  type Lane,
  type Ledger,
  type StagePin,
  UnclaimedDeliveryError,
} from "@slipway/core";
import type { LedgerInspection } from "./ledger-inspection.ts";
import { ledgerTable } from "./ledger-table.ts";

/** The DynamoDB ledger: core's port, plus what its contract test and operator tools inspect. */
export type DynamoLedger = Ledger & LedgerInspection;

type Item = Record<string, unknown>;

// One claim per delivery and service: a monorepo's push builds each of its services on its own.
const deliveryKey = (deliveryId: string, service: string) => ({
  pk: `DELIVERY#${deliveryId}#${service}`,
  sk: "DELIVERY",
});
const bodyKey = (digest: string) => ({ pk: `BODY#${digest}`, sk: "BODY" });
// A lane (stage × service) is one partition: its counter, its pin and its history. Stage and
// service names are DNS labels, so `#` cannot appear inside either.
const lanePk = (lane: Lane) => `LANE#${lane.stage}#${lane.service}`;
const counterKey = (lane: Lane) => ({ pk: lanePk(lane), sk: "SEQUENCE" });
// The pin and the deploy guard share one item, so DynamoDB serializes them.
const pinKey = (lane: Lane) => ({ pk: lanePk(lane), sk: "PIN" });
// Zero-padded so the sort key orders numerically: a stage's history is one ordered Query.
const deploymentSk = (sequence: number) => `DEPLOYMENT#${String(sequence).padStart(12, "0")}`;
const deploymentKey = (key: DeploymentKey) => ({
  pk: lanePk(key),
  sk: deploymentSk(key.sequence),
});
const keyAttributes = new Set(["pk", "sk", ledgerTable.indexes.inFlight.sortKey]);

/**
 * The ledger on one DynamoDB table (layout in ledger-table.ts). Every write that decides
 * something is conditional: the delivery claim is a conditional put, sequences are an atomic
 * ADD, transitions are compare-and-set on `state`, and recording a deployment also marks its
 * delivery started in the same transaction. Reads that decisions depend on are consistent.
 */
export function createDynamoLedger(options: {
  client: DynamoDBDocumentClient;
  tableName: string;
}): DynamoLedger {
  const { tableName: TableName } = options;
  const client = translatingErrors(options.client);

  const getItem = async (Key: Item): Promise<Item | undefined> =>
    (await client.send(new GetCommand({ TableName, Key, ConsistentRead: true }))).Item;

  const queryAll = async (input: Omit<QueryCommandInput, "TableName">): Promise<Item[]> => {
    const items: Item[] = [];
    let ExclusiveStartKey: Item | undefined;
    do {
      const page = await client.send(new QueryCommand({ ...input, TableName, ExclusiveStartKey }));
      items.push(...(page.Items ?? []));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey !== undefined);
    return items;
  };

  const nextSequence = async (lane: Lane): Promise<number> => {
    const out = await client.send(
      new UpdateCommand({
        TableName,
        Key: counterKey(lane),
        UpdateExpression: "ADD #value :one",
        ExpressionAttributeNames: { "#value": "sequenceValue" },
        ExpressionAttributeValues: { ":one": 1 },
        ReturnValues: "UPDATED_NEW",
      }),
    );
    return Number(out.Attributes?.sequenceValue);
  };

  const get = async (key: DeploymentKey) => {
    const item = await getItem(deploymentKey(key));
    return item === undefined ? undefined : toRecord(item);
  };

  const laneQuery = (lane: Lane, limit: number) =>
    client.send(
      new QueryCommand({
        TableName,
        KeyConditionExpression: "#pk = :pk AND begins_with(#sk, :prefix)",
        ExpressionAttributeNames: { "#pk": "pk", "#sk": "sk" },
        ExpressionAttributeValues: { ":pk": lanePk(lane), ":prefix": "DEPLOYMENT#" },
        ScanIndexForward: false,
        ConsistentRead: true,
        Limit: limit,
      }),
    );

  /**
   * The deploy guard: the deployment's compare-and-set and a check-and-mark of the stage's pin
   * item in one transaction. A pin is a conditional write on that same item, so the two are
   * serialized: either the guard ran first (and `lastGuarded` tells the pin so) or it sees the pin.
   */
  const guardedTransition = async (
    key: DeploymentKey,
    write: {
      UpdateExpression: string;
      ConditionExpression: string;
      ExpressionAttributeNames: Record<string, string>;
      ExpressionAttributeValues: Record<string, unknown>;
    },
  ) => {
    try {
      await client.send(
        new TransactWriteCommand({
          TransactItems: [
            { Update: { TableName, Key: deploymentKey(key), ...write } },
            {
              Update: {
                TableName,
                Key: pinKey(key),
                UpdateExpression: "SET #lastGuarded = :sequence",
                ConditionExpression: "attribute_not_exists(#pinAt)",
                ExpressionAttributeNames: { "#lastGuarded": "lastGuarded", "#pinAt": "pinAt" },
                ExpressionAttributeValues: { ":sequence": key.sequence },
              },
            },
          ],
        }),
      );
    } catch (error) {
      const reasons = cancellationCodes(error);
      if (reasons === undefined) throw error;
      if (reasons[0] === "ConditionalCheckFailed") {
        return { kind: "conflict" as const, current: await get(key) };
      }
      const pin = reasons[1] === "ConditionalCheckFailed" ? await pinOf(key) : undefined;
      // Unpinned between the failed write and this read: let the caller retry as a conflict.
      if (pin === undefined) return { kind: "conflict" as const, current: await get(key) };
      return { kind: "pinned" as const, pin };
    }
    const record = await get(key);
    if (record === undefined) throw new DeploymentNotFoundError(key.stage, key.sequence);
    return { kind: "applied" as const, record };
  };

  const pinOf = async (lane: Lane) => {
    const item = await getItem(pinKey(lane));
    return item?.pinAt === undefined ? undefined : toPin(item);
  };

  const ledger: DynamoLedger = {
    async claimBody(claim) {
      assertRetention(claim.claimedAt, claim.retainUntil);
      // Free, held by the same delivery (GitHub's redelivery), or past its retention.
      const put = await conditionalWrite(() =>
        client.send(
          new PutCommand({
            TableName,
            Item: {
              ...bodyKey(claim.bodyDigest),
              deliveryId: claim.deliveryId,
              expiresAt: Math.ceil(claim.retainUntil.getTime() / 1000),
            },
            ConditionExpression:
              "attribute_not_exists(#pk) OR #deliveryId = :deliveryId OR #expiresAt <= :nowSeconds",
            ExpressionAttributeNames: {
              "#pk": "pk",
              "#deliveryId": "deliveryId",
              "#expiresAt": "expiresAt",
            },
            ExpressionAttributeValues: {
              ":deliveryId": claim.deliveryId,
              ":nowSeconds": Math.floor(claim.claimedAt.getTime() / 1000),
            },
            ReturnValuesOnConditionCheckFailure: "ALL_OLD",
          }),
        ),
      );
      if (put.held) return { kind: "claimed" };
      return { kind: "taken", deliveryId: String(put.old?.deliveryId ?? "another delivery") };
    },
    async claimDelivery(claim) {
      assertRetention(claim.claimedAt, claim.retainUntil);
      const now = claim.claimedAt.getTime();
      const Key = deliveryKey(claim.deliveryId, claim.service);
      const expiresAt = Math.ceil(claim.retainUntil.getTime() / 1000);
      // A fresh claim, or one whose record outlived its TTL but DynamoDB has not yet
      // deleted (TTL deletion lags by up to days).
      const fresh = await conditionalWrite(() =>
        client.send(
          new PutCommand({
            TableName,
            Item: {
              ...Key,
              deliveryState: "claimed",
              leaseUntil: claim.leaseUntil.getTime(),
              expiresAt,
            },
            ConditionExpression: "attribute_not_exists(#pk) OR #expiresAt <= :nowSeconds",
            ExpressionAttributeNames: { "#pk": "pk", "#expiresAt": "expiresAt" },
            ExpressionAttributeValues: { ":nowSeconds": Math.floor(now / 1000) },
            ReturnValuesOnConditionCheckFailure: "ALL_OLD",
          }),
        ),
      );
      if (fresh.held) return { kind: "claimed" };
      let holder = fresh.old;
      if (holder?.deliveryState === "claimed" && Number(holder.leaseUntil) <= now) {
        // Take over a claim whose holder died before recording a build; keep its sequence.
        const takenOver = await conditionalWrite(() =>
          client.send(
            new UpdateCommand({
              TableName,
              Key,
              UpdateExpression: "SET #leaseUntil = :lease, #expiresAt = :expiresAt",
              ConditionExpression: "#deliveryState = :claimed AND #leaseUntil <= :now",
              ExpressionAttributeNames: {
                "#leaseUntil": "leaseUntil",
                "#expiresAt": "expiresAt",
                "#deliveryState": "deliveryState",
              },
              ExpressionAttributeValues: {
                ":lease": claim.leaseUntil.getTime(),
                ":expiresAt": expiresAt,
                ":claimed": "claimed",
                ":now": now,
              },
              ReturnValuesOnConditionCheckFailure: "ALL_OLD",
            }),
          ),
        );
        if (takenOver.held) return { kind: "claimed" };
        holder = takenOver.old;
      }
      return {
        kind: "duplicate",
        buildId: typeof holder?.startedBuildId === "string" ? holder.startedBuildId : undefined,
      } satisfies DeliveryClaimOutcome;
    },

    nextSequence,

    async assignSequence(deliveryId, lane) {
      const candidate = await nextSequence(lane);
      const bound = await conditionalWrite(() =>
        client.send(
          new UpdateCommand({
            TableName,
            Key: deliveryKey(deliveryId, lane.service),
            UpdateExpression: "SET #sequence = :sequence",
            ConditionExpression: "attribute_exists(#pk) AND attribute_not_exists(#sequence)",
            ExpressionAttributeNames: { "#pk": "pk", "#sequence": "sequence" },
            ExpressionAttributeValues: { ":sequence": candidate },
            ReturnValuesOnConditionCheckFailure: "ALL_OLD",
          }),
        ),
      );
      if (bound.held) return candidate;
      // Already bound by an earlier attempt: that number wins (the candidate is a harmless gap).
      if (bound.old === undefined) throw new UnclaimedDeliveryError(deliveryId);
      return Number(bound.old.sequence);
    },

    async recordDeployment(record) {
      const item = toItem(DeploymentRecord.parse(record));
      try {
        await client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName,
                  Item: item,
                  ConditionExpression: "attribute_not_exists(#pk)",
                  ExpressionAttributeNames: { "#pk": "pk" },
                },
              },
              {
                Update: {
                  TableName,
                  Key: deliveryKey(record.deliveryId, record.service),
                  UpdateExpression: "SET #deliveryState = :started, #startedBuildId = :buildId",
                  ConditionExpression: "attribute_exists(#pk)",
                  ExpressionAttributeNames: {
                    "#pk": "pk",
                    "#deliveryState": "deliveryState",
                    "#startedBuildId": "startedBuildId",
                  },
                  ExpressionAttributeValues: { ":started": "started", ":buildId": record.buildId },
                },
              },
            ],
          }),
        );
        return { kind: "recorded" };
      } catch (error) {
        const reasons = cancellationCodes(error);
        if (reasons?.[0] === "ConditionalCheckFailed") return { kind: "exists" };
        if (reasons?.[1] === "ConditionalCheckFailed") {
          throw new UnclaimedDeliveryError(record.deliveryId, { cause: error });
        }
        throw translateAwsError("DynamoDB TransactWrite", error);
      }
    },

    async transition(key, change) {
      assertTransition(change.from, change.to);
      const at = change.at.toISOString();
      const update = fieldUpdate(change.fields ?? {}, at);
      update.names["#state"] = "state";
      update.names["#transitions"] = "transitions";
      update.names["#inFlightSk"] = ledgerTable.indexes.inFlight.sortKey;
      update.values[":to"] = change.to;
      update.values[":entry"] = [{ state: change.to, at }];
      update.sets.push("#state = :to", "#transitions = list_append(#transitions, :entry)");
      const removes: string[] = [];
      if (inFlightStates.includes(change.to)) {
        update.sets.push("#inFlightSk = :inFlightSk");
        update.values[":inFlightSk"] = deploymentSk(key.sequence);
      } else {
        removes.push("#inFlightSk");
      }
      const fromValues = change.from.map((state, i) => {
        update.values[`:from${i}`] = state;
        return `:from${i}`;
      });
      const condition = `attribute_exists(#pk) AND #state IN (${fromValues.join(", ")})`;
      if (change.unlessPinned) {
        return guardedTransition(key, {
          UpdateExpression: `SET ${update.sets.join(", ")}${removes.length ? ` REMOVE ${removes.join(", ")}` : ""}`,
          ConditionExpression: condition,
          ExpressionAttributeNames: { ...update.names, "#pk": "pk" },
          ExpressionAttributeValues: update.values,
        });
      }
      let applied: Item | undefined;
      const outcome = await conditionalWrite(async () => {
        const out = await client.send(
          new UpdateCommand({
            TableName,
            Key: deploymentKey(key),
            UpdateExpression: `SET ${update.sets.join(", ")}${removes.length ? ` REMOVE ${removes.join(", ")}` : ""}`,
            ConditionExpression: condition,
            ExpressionAttributeNames: { ...update.names, "#pk": "pk" },
            ExpressionAttributeValues: update.values,
            ReturnValues: "ALL_NEW",
            ReturnValuesOnConditionCheckFailure: "ALL_OLD",
          }),
        );
        applied = out.Attributes;
      });
      if (outcome.held) {
        if (applied === undefined) throw new Error("UpdateItem returned no attributes");
        return { kind: "applied", record: toRecord(applied) };
      }
      return {
        kind: "conflict",
        current: outcome.old === undefined ? undefined : toRecord(outcome.old),
      };
    },

    async annotate(key, fields, at) {
      const update = fieldUpdate(fields, at.toISOString());
      const found = await conditionalWrite(() =>
        client.send(
          new UpdateCommand({
            TableName,
            Key: deploymentKey(key),
            UpdateExpression: `SET ${update.sets.join(", ")}`,
            ConditionExpression: "attribute_exists(#pk)",
            ExpressionAttributeNames: { ...update.names, "#pk": "pk" },
            ExpressionAttributeValues: update.values,
          }),
        ),
      );
      if (!found.held) throw new DeploymentNotFoundError(key.stage, key.sequence);
    },

    get,

    async latest(lane) {
      const item = (await laneQuery(lane, 1)).Items?.[0];
      return item === undefined ? undefined : toRecord(item);
    },

    async history(lane, limit = 50) {
      return ((await laneQuery(lane, limit)).Items ?? []).map(toRecord);
    },

    async inFlight(lane) {
      const items = await queryAll({
        IndexName: "inFlight",
        KeyConditionExpression: "#pk = :pk",
        ExpressionAttributeNames: { "#pk": "pk" },
        ExpressionAttributeValues: { ":pk": lanePk(lane) },
        ConsistentRead: true,
      });
      return items.map(toRecord);
    },

    async byCommit(commit) {
      const items = await queryAll({
        IndexName: "byCommit",
        KeyConditionExpression: "#commit = :commit",
        ExpressionAttributeNames: { "#commit": "commit" },
        ExpressionAttributeValues: { ":commit": commit },
      });
      return items
        .map(toRecord)
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.sequence - b.sequence);
    },

    async pin(lane, pin) {
      let pinned: Item | undefined;
      const outcome = await conditionalWrite(async () => {
        const out = await client.send(
          new UpdateCommand({
            TableName,
            Key: pinKey(lane),
            UpdateExpression: `SET #pinAt = :at, #pinBy = :by, #pinReason = :reason${pin.toCommit ? ", #pinToCommit = :toCommit" : " REMOVE #pinToCommit"}`,
            ConditionExpression: "attribute_not_exists(#pinAt)",
            ExpressionAttributeNames: {
              "#pinAt": "pinAt",
              "#pinBy": "pinBy",
              "#pinReason": "pinReason",
              "#pinToCommit": "pinToCommit",
            },
            ExpressionAttributeValues: {
              ":at": pin.at.toISOString(),
              ":by": pin.by,
              ":reason": pin.reason,
              ...(pin.toCommit ? { ":toCommit": pin.toCommit } : {}),
            },
            ReturnValues: "ALL_NEW",
            ReturnValuesOnConditionCheckFailure: "ALL_OLD",
          }),
        );
        pinned = out.Attributes;
      });
      if (!outcome.held) {
        const current = outcome.old ?? (await getItem(pinKey(lane)));
        return { kind: "already", pin: current ? toPin(current) : pin };
      }
      return { kind: "pinned", pin, lastGuarded: Number(pinned?.lastGuarded ?? 0) };
    },

    async unpin(lane) {
      let released: Item | undefined;
      const out = await conditionalWrite(() =>
        client
          .send(
            new UpdateCommand({
              TableName,
              Key: pinKey(lane),
              UpdateExpression: "REMOVE #pinAt, #pinBy, #pinReason, #pinToCommit",
              ConditionExpression: "attribute_exists(#pinAt)",
              ExpressionAttributeNames: {
                "#pinAt": "pinAt",
                "#pinBy": "pinBy",
                "#pinReason": "pinReason",
                "#pinToCommit": "pinToCommit",
              },
              ReturnValues: "ALL_OLD",
            }),
          )
          .then((result) => {
            released = result.Attributes;
          }),
      );
      if (!out.held || released === undefined) return { kind: "not-pinned" };
      return { kind: "unpinned", pin: toPin(released) };
    },

    pinOf,
  };
  return ledger;
}

function toItem(record: DeploymentRecord): Item {
  const item: Item = { ...deploymentKey(record) };
  for (const [name, value] of Object.entries(record)) {
    if (value !== undefined) item[name] = value;
  }
  if (inFlightStates.includes(record.state)) {
    item[ledgerTable.indexes.inFlight.sortKey] = deploymentSk(record.sequence);
  }
  return item;
}

function toRecord(item: Item): DeploymentRecord {
  const fields = Object.fromEntries(
    Object.entries(item).filter(([name]) => !keyAttributes.has(name)),
  );
  return DeploymentRecord.parse(fields);
}

function toPin(item: Item): StagePin {
  return {
    reason: String(item.pinReason ?? ""),
    by: String(item.pinBy ?? ""),
    at: new Date(String(item.pinAt)),
    ...(typeof item.pinToCommit === "string" ? { toCommit: item.pinToCommit } : {}),
  };
}

function fieldUpdate(fields: DeploymentFields, at: string) {
  const names: Record<string, string> = { "#updatedAt": "updatedAt" };
  const values: Record<string, unknown> = { ":updatedAt": at };
  const sets = ["#updatedAt = :updatedAt"];
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    names[`#${name}`] = name;
    values[`:${name}`] = value;
    sets.push(`#${name} = :${name}`);
  }
  return { names, values, sets };
}

type WriteOutcome = { held: true } | { held: false; old: Item | undefined };

/**
 * Runs a conditional write. When its condition does not hold, DynamoDB returns the item as it
 * was (ReturnValuesOnConditionCheckFailure: ALL_OLD), so the loser learns why without a read.
 */
async function conditionalWrite(write: () => Promise<unknown>): Promise<WriteOutcome> {
  try {
    await write();
    return { held: true };
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) {
      return { held: false, old: error.Item === undefined ? undefined : unmarshall(error.Item) };
    }
    throw error;
  }
}

/**
 * The client, with every failure but a lost condition turned into core's errors at the SDK
 * boundary (throttling and 5xx → TransientError, so core retries them like Kubernetes calls).
 * A lost condition, or a cancelled transaction, stays DynamoDB's: the methods above read its
 * reasons as an outcome, and translate what is left.
 */
function translatingErrors(client: DynamoDBDocumentClient): Pick<DynamoDBDocumentClient, "send"> {
  return {
    send: (async (command: { constructor: { name: string } }) => {
      try {
        return await client.send(command as Parameters<DynamoDBDocumentClient["send"]>[0]);
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException || isCancellation(error)) throw error;
        throw translateAwsError(
          `DynamoDB ${command.constructor.name.replace(/Command$/, "")}`,
          error,
        );
      }
    }) as DynamoDBDocumentClient["send"],
  };
}

const isCancellation = (error: unknown) =>
  error instanceof Error && error.name === "TransactionCanceledException";

function cancellationCodes(error: unknown): (string | undefined)[] | undefined {
  if (!isCancellation(error)) return undefined;
  const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons;
  return reasons?.map((reason) => reason.Code);
}
