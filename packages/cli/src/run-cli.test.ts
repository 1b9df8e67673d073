import { describe, expect, it } from "vitest";
import { runCli } from "./run-cli.ts";

const server = { namespace: "chat", name: "chat-server", container: "server" };
const greeter = { namespace: "greeter", name: "greeter", container: "greeter" };

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

    const lane = ["--stage", "dev", "--table", "t", "--service", "chat"];
    expect(await runCli(["pin", ...lane, "--namespace", "chat", "--deployments", "a:b"], io)).toBe(
      2,
    );
    expect(
      await runCli(["trace", ...lane, "--namespace", "chat", "--deployments", "a:b"], io),
    ).toBe(2);
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
      services: [{ name: "chat", deployments: [server] }],
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

  describe("--service", () => {
    /** A stage that deploys `services`, and the lanes the CLI read the history of. */
    function twoServices(
      services = [
        { name: "chat", deployments: [server] },
        { name: "greeter", deployments: [greeter] },
      ],
    ) {
      const { io, out, err } = capture();
      const lanes: unknown[] = [];
      const connect = async () => ({
        ledger: {
          history: async (lane: unknown) => {
            lanes.push(lane);
            return [];
          },
        } as never,
        workloads: {} as never,
      });
      const outputs = () => ({ stage: "dev", ledgerTable: "t", services });
      return { io: { ...io, connect, outputs }, out, err, lanes };
    }

    it("reads the named service's own history", async () => {
      const { io, lanes } = twoServices();

      expect(await runCli(["history", "--stage", "dev", "--service", "greeter"], io)).toBe(0);
      expect(lanes).toEqual([{ stage: "dev", service: "greeter" }]);
    });

    it("asks which service when the stage deploys several, naming them, before connecting", async () => {
      const { io, err, lanes } = twoServices();

      expect(await runCli(["history", "--stage", "dev"], io)).toBe(2);
      expect(err.join("\n")).toContain("the stage deploys chat, greeter: pass --service <name>");
      expect(lanes).toEqual([]);
    });

    it("needs no --service when the stage deploys one service", async () => {
      const { io, lanes } = twoServices([{ name: "greeter", deployments: [greeter] }]);

      expect(await runCli(["history", "--stage", "dev"], io)).toBe(0);
      expect(lanes).toEqual([{ stage: "dev", service: "greeter" }]);
    });

    it("reads a named service's history without its Deployments, but asks for them to act on the cluster", async () => {
      const { io, err, lanes } = twoServices([]);

      expect(await runCli(["history", "--stage", "dev", "--service", "greeter"], io)).toBe(0);
      expect(await runCli(["status", "--stage", "dev", "--service", "greeter"], io)).toBe(2);
      expect(lanes).toEqual([{ stage: "dev", service: "greeter" }]);
      expect(err.join("\n")).toContain("pass --namespace and --deployments");
    });

    it("refuses a service the stage does not deploy", async () => {
      const { io, err } = twoServices();

      expect(await runCli(["history", "--stage", "dev", "--service", "chatt"], io)).toBe(2);
      expect(err.join("\n")).toContain("the stage deploys no service chatt");
    });
  });
});
