// `approvals-sync fake-api --replay FILE [--replay-timing]`: serves a recording until SIGINT/SIGTERM,
// and says how to run the recorded commands against it.
import { ConfigError } from "../errors.js";
import { serveUntilStopped } from "./serve.js";
import { startReplayApi } from "./replay.js";

export interface ServeReplayOptions {
  file: string;
  timing: boolean;
  port: number;
  host?: string;
  /** Stops the server like a signal would (for tests). */
  signal?: AbortSignal;
}

export async function serveReplay(opts: ServeReplayOptions): Promise<void> {
  const api = await startReplayApi({
    file: opts.file,
    timing: opts.timing,
    port: opts.port,
    host: opts.host ?? "127.0.0.1",
    onMiss: (request) => process.stderr.write(`not in the recording: ${request} (answered 501 not_recorded)\n`),
  }).catch((err: Error) => {
    throw new ConfigError(`--replay ${opts.file}: ${err.message}`);
  });
  const first = api.sessions[0];
  process.stdout.write(
    `${JSON.stringify({ url: api.url, organizationId: api.organizationId, accessKey: "replay", flowIds: api.flowIds, sessions: api.sessions.length })}\n`,
  );
  const settings = Object.entries(first?.settings ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
  process.stderr.write(
    [
      `replaying ${opts.file} on ${api.url}: ${api.counters.recorded} recorded answers, ${api.sessions.length} session(s)${opts.timing ? ", with the recorded timing" : ""}`,
      ...(api.truncated ? ["the recording ends early (its process was killed?): what it holds is served"] : []),
      "run the recorded commands against it (any access key; settings as recorded):",
      ...api.sessions.map((s) => `  BIRD_API_URL=${api.url} BIRD_ACCESS_KEY=replay ${settings} approvals-sync ${s.args.join(" ")}`),
      `counters: GET ${api.url}/_fake/state (matched, missed, skipped, remaining)`,
      "stop with Ctrl-C",
      "",
    ].join("\n"),
  );
  await serveUntilStopped(api, opts.signal);
}
