// Peak memory that does not grow with the data (issue 8). Each page's JSON text is a large string and
// lands in V8's large-object space, which only a full collection frees; with a multi-GB heap limit V8
// postpones those, so RSS would climb with the number of pages. A full collection every so many
// pages (a few ms on a heap of ~30 MB live) keeps the peak flat. Node exposes gc() only behind
// --expose-gc; setting the flag at run time and reading gc from a fresh context is the supported way.
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
