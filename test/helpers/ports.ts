import { connect, createServer } from "node:net";

/** A port free right now on 127.0.0.1 (for a child process's METRICS_PORT). */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/**
 * A port on 127.0.0.1 that refuses connections and stays refusing: a low port outside the ephemeral
 * range (no test server is ever given one) and outside fetch's blocked list. A port freePort() gave
 * and closed may be handed to another test's server a moment later (a flake seen under load).
 */
export async function closedPort(): Promise<number> {
  for (const port of [2, 3, 4, 5, 6, 8]) {
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: "127.0.0.1", port });
      socket.once("connect", () => (socket.destroy(), resolve(false)));
      socket.once("error", (err: NodeJS.ErrnoException) => resolve(err.code === "ECONNREFUSED"));
    });
    if (refused) return port;
  }
  throw new Error("no closed low port on 127.0.0.1 (2-8 all answer)");
}
