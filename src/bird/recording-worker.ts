// The recording writer on a thread of its own (recorder.ts starts it): redaction and compression cost
// CPU the sync's thread does not have to spend. Written-byte counts flow back so the sync can be slowed
// when the writer falls behind (its queue of answers grows), instead of memory growing. The file is already open (its descriptor
// comes in workerData), so the sync does not wait for this thread to start: messages queue meanwhile.
import { parentPort, workerData } from "node:worker_threads";
import { type AttemptRecord, RecordingWriter, type WriterOptions } from "./recording-writer.js";

export type ToWriter = { t: "attempts"; items: Array<{ a: AttemptRecord; size: number }> } | { t: "line"; line: object } | { t: "close" };
export type FromWriter = { t: "written"; size: number } | { t: "failed"; message: string } | { t: "closed" };

const port = parentPort;
if (!port) throw new Error("recording-worker.js runs as a worker thread");
const post = (m: FromWriter) => port.postMessage(m);

const writer = RecordingWriter.start(workerData as WriterOptions);
let reported = false;

/** Tells the sync what was written (the writer writes as it is handed lines), or that writing failed. */
function acknowledge(size: number): void {
  if (writer.failure && !reported) {
    reported = true;
    post({ t: "failed", message: writer.failure.message });
  }
  if (size > 0) post({ t: "written", size });
}

port.on("message", (m: ToWriter) => {
  if (m.t === "attempts") {
    let size = 0;
    for (const item of m.items) {
      writer.attempt(item.a);
      size += item.size;
    }
    acknowledge(size);
  } else if (m.t === "line") writer.line(m.line);
  else {
    void writer.close().then(() => {
      acknowledge(0);
      post({ t: "closed" });
      port.close();
    });
  }
});
