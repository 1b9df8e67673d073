import { chat } from "./chat.ts";
import { greeter } from "./greeter.ts";
import type { ServiceFile } from "./service-file.ts";

/**
 * Every service this Slipway deploys, one file each. Adding a service is its file plus its
 * line here (a test fails if a file in this folder is missing from the list), then `sst deploy`.
 */
export const serviceFiles: readonly ServiceFile[] = [chat, greeter];
