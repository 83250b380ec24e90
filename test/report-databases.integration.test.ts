// Issue 6: the reports on embedded PGlite answer as on PostgreSQL, and an empty or unmigrated database
// gets a friendly line or a clear exit 2 (fixture: test/helpers/report-fixture.ts).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { openDatabase } from "../src/db/connect.js";
import type { Database } from "../src/db/database.js";
import { freshDatabaseUrl } from "./helpers/db.js";
import { loadFixture, logger } from "./helpers/report-fixture.js";
import { report } from "./helpers/report-run.js";

describe("reports on embedded PGlite", () => {
  let dir: string;
  let pglite: Database;
  let postgres: Database;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "bas-report-"));
    pglite = await openDatabase({ databaseUrl: undefined, pgliteDir: join(dir, "data") }, logger);
    await pglite.migrate();
    await loadFixture(pglite);
    postgres = await openDatabase({ databaseUrl: await freshDatabaseUrl(), pgliteDir: "" }, logger);
    await loadFixture(postgres);
  });
  afterAll(async () => {
    await pglite?.close();
    await postgres?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("every report answers the same as on PostgreSQL", async () => {
    for (const name of ["summary", "daily", "latency", "backlog", "reviewers", "tags", "health"]) {
      const [lite, pg] = await Promise.all(
        [pglite, postgres].map(async (d) => JSON.parse((await report(d, { name, format: "json" })).text) as Record<string, unknown>[]),
      );
      const drop = (rows: Record<string, unknown>[]) => rows.map(({ lag_seconds: _, ...r }) => r);
      expect(drop(lite!), name).toEqual(drop(pg!));
      expect(lite!.length, name).toBeGreaterThan(0);
    }
  });
});

describe("an empty database", () => {
  let db: Database;
  beforeAll(async () => {
    db = await openDatabase({ databaseUrl: await freshDatabaseUrl(), pgliteDir: "" }, logger);
  });
  afterAll(async () => db?.close());

  it.each([
    "summary",
    "daily",
    "latency",
    "backlog",
    "reviewers",
    "tags",
    "health",
    "rejects",
  ])("report %s prints a friendly line and exits 0", async (name) => {
    expect(await report(db, { name })).toEqual({
      code: 0,
      text: `Nothing synced yet: run \`approvals-sync sync\` (or \`approvals-sync demo\` to try it), then \`approvals-sync report ${name}\` again.\n`,
    });
    expect((await report(db, { name, format: "json" })).text).toBe("[]\n");
    expect((await report(db, { name, format: "csv" })).text).toMatch(/^flow_id|^day|^reviewer_type/);
  });

  it("a database without the reporting views (auto-migrate off) exits 2 asking for `migrate`", async () => {
    await db.rows(sql`drop function bird.tag_counts_for cascade`);
    const write = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      expect(await report(db, { name: "tags" })).toEqual({ code: 2, text: "" });
      expect(String(write.mock.calls[0]?.[0])).toMatch(
        /bird\.tag_counts does not exist in this database yet: run `approvals-sync migrate` first/,
      );
    } finally {
      write.mockRestore();
    }
  });
});
