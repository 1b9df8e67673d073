import { createServer, type Server } from "node:net";

/**
 * Asks the kernel for `count` distinct free TCP ports on 127.0.0.1 by binding
 * port 0, holding every socket until all are known so no port is handed out
 * twice. The ports are released before the caller binds them, so another
 * process could take one in between; on a test machine that race is rare
 * enough to accept, and far rarer than with fixed ports.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      ports.push(await listenOnAnyPort(server));
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

function listenOnAnyPort(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port: 0, exclusive: true }, () => {
      const address = server.address();
      if (typeof address === "object" && address !== null) resolve(address.port);
      else reject(new Error("bind(0) returned no port"));
    });
  });
}
