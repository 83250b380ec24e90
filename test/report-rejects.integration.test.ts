// Issue 24: `report rejects` lists the quarantine (flow, run id, reason, first/last seen, times seen,
// raw payload), `--flow` keeps one flow; csv cells that a spreadsheet would run as a formula are
// neutralised unless --csv-raw; `report sumary` suggests `summary`.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FakeBirdApi } from "../src/fake/index.js";
import { runCli } from "./helpers/cli.js";
import { freshDatabaseUrl, query } from "./helpers/db.js";
import { startFake, syncEnv } from "./helpers/fake.js";
import { syncInProcess } from "./helpers/sync-in-process.js";

interface RejectRow {
  flow_id: string;
  flow_name: string;
  run_id: string | null;
  reason: string;
  first_seen_at: string;
  last_seen_at: string;
  times_seen: number;
  payload: string;
}

describe("report rejects", () => {
  let api: FakeBirdApi;
  let url: string;
  beforeAll(async () => {
    api = await startFake({ flows: 2, runsPerFlow: 30, seed: 243, faults: { invalidRecordsPerFlow: 2 } });
    url = await freshDatabaseUrl();
    expect(await syncInProcess(syncEnv(api, url))).toBe(0);
  });
  afterAll(async () => api.close());

  it("lists every quarantined record with its reason and raw payload, as stored; --flow keeps one flow", async () => {
    const stored = await query<{ flow_id: string; run_id: string | null; reason: string; payload: string; times_seen: number }>(
      url,
      "select flow_id::text, run_id, reason, payload, times_seen from bird.sync_rejects order by last_seen_at desc, id desc",
    );
    expect(stored).toHaveLength(4);
    const r = await runCli(["report", "rejects", "--format", "json"], syncEnv(api, url));
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as RejectRow[];
    expect(rows.map(({ flow_id, run_id, reason, payload, times_seen }) => ({ flow_id, run_id, reason, payload, times_seen }))).toEqual(
      stored,
    );
    const names = new Map(api.store.flows().map((f) => [f.id, f.name]));
    for (const row of rows) {
      expect(row.flow_name).toBe(names.get(row.flow_id));
      expect(Date.parse(row.first_seen_at)).toBeLessThanOrEqual(Date.parse(row.last_seen_at));
    }

    const [one] = api.store.flowIds();
    const only = JSON.parse(
      (await runCli(["report", "rejects", "--format", "json", "--flow", one!], syncEnv(api, url))).stdout,
    ) as RejectRow[];
    expect(only).toHaveLength(2);
    expect(only.every((row) => row.flow_id === one)).toBe(true);

    const table = await runCli(["report", "rejects"], syncEnv(api, url));
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^flow +run id +reason +first seen \(UTC\) +last seen \(UTC\) +seen +payload/);
    const [rowsPart, legend] = table.stdout.split("\n\n");
    expect(rowsPart!.split("\n")).toHaveLength(2 + 4);
    expect(legend).toBe("reason and payload are cut at 60 characters here; --format json or csv shows them whole\n");
  });

  it("csv neutralises cells a spreadsheet would run (= + - @), unless --csv-raw", async () => {
    const formula = '=HYPERLINK("http://evil.example","click")';
    const [run] = await query<{ id: string }>(url, "select id::text from bird.approval_runs order by id limit 1");
    await query(url, "update bird.approval_runs set tags = $2::jsonb where id = $1", [
      run!.id,
      JSON.stringify([
        { key: "note", value: formula },
        { key: "delta", value: "-3" },
        { key: "who", value: "@admin" },
      ]),
    ]);
    const guarded = await runCli(["report", "tags", "--format", "csv"], syncEnv(api, url));
    expect(guarded.code).toBe(0);
    expect(guarded.stdout).toContain(`,note,"'=HYPERLINK(""http://evil.example"",""click"")",`);
    expect(guarded.stdout).toContain(`,who,"'@admin",`);
    // A plain negative number is a number, not a formula.
    expect(guarded.stdout).toContain(",delta,-3,");
    expect(guarded.stdout).not.toMatch(/,=HYPERLINK/);

    const raw = await runCli(["report", "tags", "--format", "csv", "--csv-raw"], syncEnv(api, url));
    expect(raw.code).toBe(0);
    expect(raw.stdout).toContain(`,note,"=HYPERLINK(""http://evil.example"",""click"")",`);
    expect(raw.stdout).toContain(",who,@admin,");

    const wrongFormat = await runCli(["report", "tags", "--csv-raw"], syncEnv(api, url));
    expect(wrongFormat.code).toBe(2);
    expect(wrongFormat.stderr).toMatch(/--csv-raw applies to --format csv only/);
  });

  it("a misspelt report name gets a suggestion and exit 2", async () => {
    const r = await runCli(["report", "sumary"], syncEnv(api, url));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown report "sumary"; did you mean summary\? valid names: summary, daily/);
  });
});
