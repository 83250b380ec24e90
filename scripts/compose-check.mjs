// Helpers for scripts/test-compose.sh, run on the host: compare what `approvals-sync` commands printed
// inside the worker with what the fake API holds. Data arrives as files; exits 1 naming the mismatch.
import { readFileSync } from "node:fs";

const [what, ...files] = process.argv.slice(2);
const read = (f) => JSON.parse(readFileSync(f, "utf8"));
const fail = (msg) => {
  console.error(`mismatch: ${msg}`);
  process.exit(1);
};

if (what === "synced") {
  // status --json, expected flow count: every flow finished a full pass and holds no cursor.
  const [statusFile, flowsFile] = files;
  const status = read(statusFile);
  const flowIds = read(flowsFile).flowIds;
  const done = status.filter((f) => flowIds.includes(f.flowId) && f.lastFullPassAt && !f.cursorHeld && !f.leaseOwner);
  process.exit(done.length === flowIds.length ? 0 : 1);
}

if (what === "equal") {
  // report summary --format json, status --json, and the fake's runs per flow (one file per flow).
  const [summaryFile, statusFile, ...runFiles] = files;
  const summary = new Map(read(summaryFile).map((r) => [r.flow_id, r]));
  const status = new Map(read(statusFile).map((s) => [s.flowId, s]));
  for (const file of runFiles) {
    const { flowId, runs } = read(file);
    const want = { total_runs: runs.length, pending: 0, approved: 0, denied: 0 };
    for (const r of runs) want[r.status]++;
    const got = summary.get(flowId);
    if (!got) fail(`flow ${flowId} missing from report summary`);
    for (const k of Object.keys(want)) if (Number(got[k]) !== want[k]) fail(`flow ${flowId} ${k}: database ${got[k]}, fake ${want[k]}`);
    if (status.get(flowId)?.runs !== runs.length)
      fail(`flow ${flowId}: status says ${status.get(flowId)?.runs} runs, fake has ${runs.length}`);
  }
  console.log(`${runFiles.length} flows equal (runs, pending, approved, denied per flow)`);
  process.exit(0);
}

if (what === "refetched") {
  // /_fake/state: pages of this flow's full listing served more than once.
  const [stateFile, flowId] = files;
  const fetches = read(stateFile).pageFetches;
  const full = Object.entries(fetches).filter(([k]) => k.startsWith(`${flowId}|false|`));
  const twice = full.filter(([, n]) => n > 1);
  if (full.length === 0) fail(`no full-pass pages of ${flowId} were fetched`);
  if (twice.length > 0) fail(`${twice.length} of ${full.length} pages of ${flowId} fetched more than once`);
  console.log(`${full.length} pages, each fetched once`);
  process.exit(0);
}

fail(`unknown check ${what}`);
