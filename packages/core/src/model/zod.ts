import { en } from "zod/locales";
import { config } from "zod/mini";

// Slipway's schemas are written with zod/mini: the same parser as zod's classic API, but its
// functions tree-shake, so a function bundle carries the checks it uses (about 30 KiB, not
// zod's 190 KiB) and loads in a fraction of the time. zod/mini reports every issue as
// "Invalid input" until a locale is set; English here, once, for every schema written with
// this module's `z` (the messages name paths and limits, never the input's values).
config(en());

export * from "zod/mini";
// What parse throws, without `z.core`: reaching through that namespace keeps all of zod's core
// (every locale, JSON Schema, the compiler) in a bundle.
export { $ZodError as ZodError } from "zod/v4/core";
