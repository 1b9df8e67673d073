export { findStage, type SstOutputs, type StageLocation } from "./find-stage.ts";
export { type CommandResult, present } from "./present.ts";
export { type CliDeps, type CliIo, runCli } from "./run-cli.ts";
