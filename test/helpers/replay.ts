// Replays a recording (issue 25) the way a user would: `fake-api --replay` serving it (in process here),
// and each recorded command run again by the built CLI, with the settings the recording names, into a
// database of the test's choosing. Plus the exactness invariants any replayed database must pass.
import pg from "pg";
import { arrayMemberTexts } from "../../src/bird/json-text.js";
import { type AttemptLine, type SessionLine, readRecording } from "../../src/bird/recording.js";
import { type ReplayApi, startReplayApi } from "../../src/fake/replay.js";
import { type CliResult, cliEnv, runCli } from "./cli.js";

export interface ReplayedCommand {
  args: string[];
  /** How the command ended when it was recorded. */
  recordedExit: number | undefined;
  result: CliResult;
}

export interface Replayed {
  commands: ReplayedCommand[];
  counters: ReplayApi["counters"];
}

/** The recorded sessions, each with the exit code its end line names. */
export async function sessionsOf(file: string): Promise<Array<{ session: SessionLine; exitCode: number | undefined }>> {
  const out: Array<{ session: SessionLine; exitCode: number | undefined }> = [];
  for (const line of (await readRecording(file)).lines) {
    if (line.type === "session") out.push({ session: line, exitCode: undefined });
    const last = out.at(-1);
    if (line.type === "end" && last) last.exitCode = line.exitCode;
  }
  return out;
}

/** Serves `file` and runs every recorded command against it, in order, into `databaseUrl`. */
export async function replayInto(file: string, databaseUrl: string, opts: { timing?: boolean } = {}): Promise<Replayed> {
  const api = await startReplayApi({ file, timing: opts.timing ?? false });
  try {
    const commands: ReplayedCommand[] = [];
    for (const { session, exitCode } of await sessionsOf(file)) {
      const quiet = session.args[0] === "sync" || session.args[0] === "backfill" ? ["--no-progress"] : [];
      const env = cliEnv({
        ...session.settings,
        BIRD_API_URL: api.url,
        BIRD_ACCESS_KEY: "any-key-works",
        DATABASE_URL: databaseUrl,
        BIRD_MAX_RPS: "0",
      });
      commands.push({ args: session.args, recordedExit: exitCode, result: await runCli([...session.args, ...quiet], env) });
    }
    return { commands, counters: structuredClone(api.counters) };
  } finally {
    await api.close();
  }
}

/** Every run text the recording's answers carried: listed pages' records and GET-by-id answers. */
export async function recordedRunTexts(file: string): Promise<string[]> {
  const texts: string[] = [];
  for (const line of (await readRecording(file)).lines) {
    if (line.type !== undefined || line.status !== 200 || line.body === undefined) continue;
    const path = (line as AttemptLine).path.split("?")[0]!;
    if (/\/approvals\/[^/]+\/runs$/.test(path)) {
      try {
        JSON.parse(line.body);
        texts.push(...(arrayMemberTexts(line.body, "results") ?? []));
      } catch {
        // a cut-off or non-JSON answer the sync retried: it carries no run
      }
    } else if (/\/runs\/[^/]+$/.test(path)) texts.push(line.body.trim());
  }
  return texts;
}

/**
 * Exactness invariants of a replayed database: every live run is, field for field, one version the
 * recording served (values verbatim, nothing invented), and every quarantined payload is a record's
 * own text as served. Returns what breaks them (empty: all hold).
 */
export async function verbatimViolations(databaseUrl: string, file: string): Promise<string[]> {
  const texts = JSON.stringify(await recordedRunTexts(file));
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`create function pg_temp.try_jsonb(t text) returns jsonb language plpgsql as $$
      begin return t::jsonb; exception when others then return null; end $$`);
    const runs = await client.query<{ id: string }>(
      `with v as (select pg_temp.try_jsonb(x) as j from jsonb_array_elements_text($1::jsonb) as x)
       select r.id::text from bird.approval_runs r where r.deleted_at is null and not exists (
         select 1 from v where lower(v.j->>'id') = r.id::text and r.status = v.j->>'status'
           and r.approval_flow_id::text = lower(v.j->>'approvalFlowId')
           and r.object is not distinct from nullif(v.j->'object', 'null'::jsonb)
           and r.previous_object is not distinct from nullif(v.j->'previousObject', 'null'::jsonb)
           and r.tags = v.j->'tags' and r.results = v.j->'results')`,
      [texts],
    );
    const rejects = await client.query<{ fingerprint: string }>(
      `select fingerprint from bird.sync_rejects where payload not in (select jsonb_array_elements_text($1::jsonb))`,
      [texts],
    );
    return [
      ...runs.rows.map((r) => `run ${r.id} is not any version the recording served`),
      ...rejects.rows.map((r) => `reject ${r.fingerprint}: its payload is not a record's text as served`),
    ];
  } finally {
    await client.end();
  }
}
