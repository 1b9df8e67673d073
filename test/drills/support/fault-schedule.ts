import type { FaultProxy, FaultRule, SeenRequest } from "../../harness/fault-proxy.ts";

export type FaultMix = {
  /** Share of requests answered with a single fault. */
  rate: number;
  /** Per request, the chance an outage starts: the next `burstLength` requests all fail. */
  burstChance: number;
  burstLength: number;
};

/**
 * Injects faults at a rate on the way to the API server: 409 on writes (a lost optimistic
 * update), 429, 500 and connection resets on anything, plus short outages. Every request the
 * proxy sees decides its own fate, so the faults land wherever the deploy happens to be.
 */
export function injectAtRate(proxy: FaultProxy, mix: FaultMix, random: () => number) {
  const injected = new Map<string, number>();
  let outageLeft = 0;
  const control = {
    injected,
    /** While true, every request fails: an API server down for longer than all retries. */
    down: false,
    /** The next `requests` requests all fail: an outage long enough to exhaust one run's retries. */
    outage(requests: number) {
      outageLeft = Math.max(outageLeft, requests);
    },
    stop() {
      proxy.onRequest = undefined;
    },
  };
  proxy.onRequest = (request: SeenRequest) => {
    let fault: FaultRule["fault"] | undefined;
    if (control.down) {
      fault = random() < 0.5 ? "reset" : { status: 500 };
    } else if (outageLeft > 0) {
      outageLeft -= 1;
      fault = random() < 0.5 ? "reset" : { status: 500 };
    } else if (random() < mix.burstChance) {
      outageLeft = mix.burstLength - 1;
      fault = "reset";
    } else if (random() < mix.rate) {
      const write = request.method === "PATCH" || request.method === "PUT";
      const choices: Array<FaultRule["fault"]> = [
        { status: write ? 409 : 429 },
        { status: 429 },
        { status: 500 },
        "reset",
      ];
      fault = choices[Math.floor(random() * choices.length)];
    }
    if (fault === undefined) return;
    // The proxy matches rules right after this hook, so this rule takes this very request.
    proxy.inject({ method: request.method, path: request.path, fault, times: 1 });
    const name = fault === "reset" ? "reset" : String(fault.status);
    injected.set(name, (injected.get(name) ?? 0) + 1);
  };
  return control;
}
