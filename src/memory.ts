// Peak memory that does not grow with the data (issues 8 and 21). Nothing keeps a page's text after
// its commit, but each page's JSON text is decoded into one large string (two-byte for most real
// answers: ~217 kB for a 113 kB page) that V8 places in its large-object space, which only a full
// collection frees; with a multi-GB heap limit V8 lets such garbage reach ~3× the live heap first
// (measured: 222 MB at 100k runs with no collection asked for). A full collection every so many
// pages (a few ms on a heap of ~30 MB live) keeps the peak flat. It is asked for through the
// documented inspector protocol (HeapProfiler.collectGarbage on a session with this thread), not by
// turning on --expose-gc at run time, which Node documents as undefined behaviour.
import { Session } from "node:inspector";

let session: Session | null | undefined;

function collectGarbage(): Promise<void> | undefined {
  if (session === undefined) {
    try {
      session = new Session();
      session.connect();
    } catch {
      session = null; // a Node built without the inspector: V8 collects on its own schedule
    }
  }
  const s = session;
  // The inspector answers on a later turn of the event loop: the collection is done when it does.
  return s ? new Promise((resolve) => s.post("HeapProfiler.collectGarbage", () => resolve())) : undefined;
}

/**
 * Returns a function to call once per page; every `everyPages` calls it asks for a full collection,
 * done when the promise it then returns settles (nobody needs to wait for it).
 */
export function pageGarbageCollector(everyPages: number): () => Promise<void> | undefined {
  let pages = 0;
  return () => (++pages % everyPages === 0 ? collectGarbage() : undefined);
}
