import { describe, expect, it } from "vitest";
import { runCli } from "./run-cli.ts";

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  const connect = async () => {
    throw new Error("must not connect");
  };
  return {
    io: {
      out: (l: string) => out.push(l),
      err: (l: string) => err.push(l),
      connect,
      env: {},
      outputs: () => undefined,
    },
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

  it("asks for the stage before connecting anywhere when nothing names it", async () => {
    const { io, err } = capture();

    expect(await runCli(["history"], io)).toBe(2);
    expect(err.join("\n")).toContain("--stage");
  });

  it("asks for the ledger table before connecting anywhere when the stage does not name it", async () => {
    const { io, err } = capture();

    expect(await runCli(["history", "--stage", "dev"], io)).toBe(2);
    expect(err.join("\n")).toContain("--table");
  });

  it("asks for the stage's registry before an unpin that deploys, connecting nowhere", async () => {
    const { io, err } = capture();

    expect(await runCli(["unpin", "--deploy-latest", "--stage", "dev", "--table", "t"], io)).toBe(
      2,
    );
    expect(err.join("\n")).toContain("--registry");
  });

  it("asks for a reason before pinning, and for a query before tracing", async () => {
    const { io, err } = capture();

    expect(await runCli(["pin", "--stage", "dev", "--table", "t"], io)).toBe(2);
    expect(await runCli(["trace", "--stage", "dev", "--table", "t"], io)).toBe(2);
    expect(err.join("\n")).toMatch(/pin needs --reason[\s\S]*trace needs a commit/);
  });

  it("connects to the ledger, cluster and region the stage's outputs name", async () => {
    const { io, out } = capture();
    let connected: unknown;
    const connect = async (settings: unknown) => {
      connected = settings;
      return {
        ledger: { history: async () => [] } as never,
        workloads: {} as never,
      };
    };
    const outputs = () => ({
      stage: "production",
      region: "eu-west-1",
      ledgerTable: "slipway-production-LedgerTable-abc",
      cluster: "slipway-production",
      lifecycleBus: "slipway-production-Lifecycle",
    });

    const code = await runCli(["history", "--stage", "production"], { ...io, connect, outputs });

    expect(code).toBe(0);
    expect(out).toEqual(["no deployments"]);
    expect(connected).toMatchObject({
      ledgerTable: "slipway-production-LedgerTable-abc",
      region: "eu-west-1",
      cluster: { kind: "eks", name: "slipway-production", region: "eu-west-1" },
      lifecycle: { busName: "slipway-production-Lifecycle", stage: "production" },
    });
  });
});
