import { vpc } from "./network";
import { stageSettings } from "./settings";

const settings = stageSettings($app.stage);

/**
 * PostgreSQL for the chat service: messages, accounts and cross-replica fan-out (LISTEN/NOTIFY).
 * Lives in the private subnets; only the VPC reaches it. HA stages run Multi-AZ.
 */
export const database = new sst.aws.Postgres("Database", {
  vpc,
  version: "17",
  instance: settings.ha ? "m7g.large" : "t4g.micro",
  multiAz: settings.ha,
  transform: {
    instance: (args, opts) => {
      args.deletionProtection = settings.retain;
      args.skipFinalSnapshot = !settings.retain;
      opts.retainOnDelete = settings.retain;
    },
  },
});

/**
 * The URL the chat server reads as DATABASE_URL; it reaches pods as a Kubernetes Secret only.
 * `uselibpqcompat` gives `sslmode=require` libpq's meaning (encrypted, as RDS enforces) rather
 * than node-postgres' newer reading as verify-full, which would need the RDS CA in the image.
 */
export const databaseUrl = $interpolate`postgres://${database.username}:${$output(database.password).apply(encodeURIComponent)}@${database.host}:${database.port}/${database.database}?sslmode=require&uselibpqcompat=true`;
