import { execFileSync } from "node:child_process";
import { resolve } from "node:path";

/** SST's platform types and providers must exist before any infra test imports them. */
export default function setup(): void {
  execFileSync("bash", [resolve(import.meta.dirname, "../../scripts/sst-types.sh")], {
    stdio: "inherit",
  });
}
