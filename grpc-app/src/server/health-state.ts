import type { Server } from "@grpc/grpc-js";
import { HealthImplementation, type ServingStatus } from "grpc-health-check";
import type { Logger } from "../log/logger.ts";

/** The services whose health is reported; "" is the whole server, as probes ask by default. */
export const healthServices = ["", "chat.v1.ChatService", "chat.v1.AuthService"] as const;

/** The server's grpc.health.v1 status: SERVING only while the store answers and not shutting down. */
export type HealthState = {
  status(): ServingStatus;
  /** Reports NOT_SERVING for good: the server is shutting down. */
  markShuttingDown(): void;
  /** Stops the periodic store check. */
  stop(): void;
};

/**
 * Registers the standard health service on `server` and keeps it truthful by pinging the
 * store every `intervalMs` (and once before it resolves), so a load balancer stops routing to a replica that lost its database.
 */
export async function startHealth(options: {
  server: Server;
  ping: () => Promise<boolean>;
  intervalMs: number;
  logger: Logger;
}): Promise<HealthState> {
  const implementation = new HealthImplementation();
  implementation.addToServer(options.server);
  let current: ServingStatus = "NOT_SERVING";
  let shuttingDown = false;
  const set = (next: ServingStatus) => {
    if (next === current) return;
    current = next;
    for (const service of healthServices) implementation.setStatus(service, next);
    options.logger.info("health.changed", { status: next });
  };
  for (const service of healthServices) implementation.setStatus(service, current);

  let checking = false;
  const check = async () => {
    if (checking || shuttingDown) return;
    checking = true;
    const ok = await options.ping().catch(() => false);
    checking = false;
    if (!shuttingDown) set(ok ? "SERVING" : "NOT_SERVING");
  };
  await check();
  const timer = setInterval(() => void check(), options.intervalMs);
  timer.unref();

  return {
    status: () => current,
    markShuttingDown() {
      shuttingDown = true;
      clearInterval(timer);
      set("NOT_SERVING");
    },
    stop: () => clearInterval(timer),
  };
}
