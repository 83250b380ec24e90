// Peak memory that does not grow with the data (issue 8). Nothing holds a page after its commit, and a
// page waiting for it holds its answer as bytes, not as a large string (record-texts.ts): a heap
// snapshot mid-backfill shows 23 MB live, module code and sources plus ~1 MB per page in flight. But
// V8 sizes its heap by a growth factor over what is live, not by need: without a collection of our own
// a 100,000-run backfill peaks at 179–182 MB RSS (heap 98 MB committed; 204–235 MB while pages were
// held as strings), with one every 64 pages at ~153 MB (session 8, issue 21). Node has no supported
// way to change heap sizing once started (flags only, at start), and this tool is run as
// `node dist/cli.js`; so gc() is loaded the documented-as-unsupported way below. Measured cost: a few
// ms per collection on a heap of ~30 MB.
import v8 from "node:v8";
import vm from "node:vm";

let gc: (() => void) | undefined;

function loadGc(): () => void {
  if (!gc) {
    v8.setFlagsFromString("--expose-gc");
    gc = vm.runInNewContext("gc") as () => void;
  }
  return gc;
}

/** Returns a function to call once per page; every `everyPages` calls it runs a full collection. */
export function pageGarbageCollector(everyPages: number): () => void {
  let pages = 0;
  return () => {
    if (++pages % everyPages === 0) loadGc()();
  };
}
