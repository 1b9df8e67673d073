import { describe, expect, it } from "vitest";
import { runCli } from "./slipway.ts";

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  const connect = async () => {
    throw new Error("must not connect");
  };
  return {
    io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l), connect },
    out,
    err,
  };
}

describe("slipway CLI", () => {
  it("prints its usage for help", async () => {
    const { io, out } = capture();

    expect(await runCli(["--help"], io)).toBe(0);
    expect(out.join("\n")).toMatch(/usage: slipway <history\|status\|rollback>/);
  });

  it("refuses an unknown command with the usage and exit code 2", async () => {
    const { io, err } = capture();

    expect(await runCli(["deploy", "--stage", "dev"], io)).toBe(2);
    expect(err.join("\n")).toContain('unknown command "deploy"');
  });

  it("asks for the stage and the ledger table before connecting anywhere", async () => {
    const { io, err } = capture();

    expect(await runCli(["history"], io)).toBe(2);
    expect(err.join("\n")).toContain("--stage and --table");
  });
});
