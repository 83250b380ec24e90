// A fresh database per test file, cloned from the migrated template (cheap: no migrations per file).
import { appendFileSync } from "node:fs";
import pg from "pg";
import { inject } from "vitest";
import { keepListFile } from "../setup/keep-list.js";

let counter = 0;
/** Databases this test file created so far: the ones to keep when one of its tests fails. */
const created: string[] = [];

/**
 * Keeps this file's databases after the run (pg-boss keeps a failed test's schema) and names them,
 * so the rows a failing test saw can be inspected. Called by the global onTestFailed hook.
 */
export function keepDatabasesForInspection(testName: string): string[] {
  if (created.length === 0) return [];
  appendFileSync(keepListFile(inject("templateDb")), created.map((name) => `${name}\n`).join(""));
  const names = created.splice(0);
  console.error(`"${testName}" failed; kept its database(s) for inspection: ${names.join(", ")} (on ${new URL(inject("adminUrl")).host})`);
  return names;
}

function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

/** Creates a new database from the migrated template and returns its URL. */
export async function freshDatabaseUrl(): Promise<string> {
  return createDatabase(inject("templateDb"));
}

/**
 * Creates a new database with no schema at all (from template1) and returns its URL. Like the others it
 * is dropped by the global teardown, not by the test: DROP DATABASE waits for a checkpoint, which on
 * a loaded machine can take over a minute (seen: a test timing out at 120 s in such a wait).
 */
export async function emptyDatabaseUrl(): Promise<string> {
  return createDatabase(undefined);
}

async function createDatabase(template: string | undefined): Promise<string> {
  const adminUrl = inject("adminUrl");
  const name = `${inject("templateDb").replace("bas_tpl_", "bas_t_")}_${process.pid}_${++counter}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(template ? `create database ${name} template ${template}` : `create database ${name}`);
  } finally {
    await admin.end();
  }
  created.push(name);
  return withDatabase(adminUrl, name);
}

/** Runs one query on a short-lived connection (tests read tables the CLI wrote). */
export async function query<T extends pg.QueryResultRow = Record<string, unknown>>(
  url: string,
  text: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text, params)).rows;
  } finally {
    await client.end();
  }
}
