// A TCP path to an API that stalls now and then: bytes from the client are held while a stall lasts and
// let through together when it ends (a congested link, a load balancer pausing, an API waiting for a
// CPU). Answers pass at once. The API behind it counts the held requests when they reach it, together.
import { type Server, type Socket, connect, createServer } from "node:net";

export interface StallingPath {
  url: string;
  /** Stalls that held at least one request. */
  stallsThatHeld(): number;
  close(): Promise<void>;
}

/**
 * Forwards 127.0.0.1:<free port> to `target` (http://127.0.0.1:port). Every `everyMs` the way there
 * stalls for `stallMs` (after the first `everyMs`).
 */
export async function startStallingPath(target: string, everyMs: number, stallMs: number): Promise<StallingPath> {
  const { hostname, port } = new URL(target);
  const started = Date.now();
  const sockets = new Set<Socket>();
  const held: Array<() => void> = [];
  let flushing = false;
  let stalls = 0;
  const stalledUntil = (now: number): number | undefined => {
    const into = (now - started) % everyMs;
    return now - started >= everyMs && into < stallMs ? now - into + stallMs : undefined;
  };
  const server: Server = createServer((client) => {
    const upstream = connect(Number(port), hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("error", () => undefined);
      s.on("close", () => (sockets.delete(s), client.destroy(), upstream.destroy()));
    }
    upstream.on("data", (chunk) => client.write(chunk));
    // Held bytes of this connection not yet let through: what follows them waits behind them.
    let behind = 0;
    client.on("data", (chunk) => {
      const until = stalledUntil(Date.now());
      if (until === undefined && behind === 0) return void upstream.write(chunk);
      behind++;
      held.push(() => (behind--, upstream.write(chunk)));
      // Held bytes always have a flush coming: the one of the stall that held the first of them.
      if (flushing || until === undefined) return;
      flushing = true;
      stalls++;
      setTimeout(() => {
        flushing = false;
        for (const send of held.splice(0)) send();
      }, until - Date.now());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port: own } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${own}`,
    stallsThatHeld: () => stalls,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
