#!/usr/bin/env node
// `npx slipway <command> --stage <stage>` (or `npm run slipway -- …`); Node 24 strips the types.
import { runCli } from "./run-cli.ts";

process.exitCode = await runCli(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
});
