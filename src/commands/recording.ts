// `--record FILE` for one command (sync, backfill, check): the file is opened before the first request,
// the command's requests and answers go into one session, and the file is closed before the exit.
import { openRecorder, requestSettings } from "../app.js";
import type { FileRecorder } from "../bird/recorder.js";
import { type CommandEnding, exitCodeOf } from "../sync/outcome.js";
import type { Runtime } from "./runtime.js";

/** Runs a command's body as one recorded session when a recording is configured. */
export async function withRecording<T extends CommandEnding>(
  rt: Runtime,
  args: string[],
  body: (recorder: FileRecorder | undefined) => Promise<T>,
): Promise<T> {
  const recorder = await openRecorder(rt.config, rt.logger);
  if (!recorder) return body(undefined);
  recorder.beginSession(args, requestSettings(rt.config));
  try {
    const ending = await body(recorder);
    recorder.endSession(exitCodeOf(ending));
    return ending;
  } catch (error) {
    recorder.endSession(exitCodeOf({ error }));
    throw error;
  } finally {
    await recorder.close();
    rt.logger.info({ file: recorder.file }, "recording written; replay it with `approvals-sync fake-api --replay FILE`");
  }
}
