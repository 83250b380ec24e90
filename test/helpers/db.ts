// A fresh database per test file, cloned from the migrated template (cheap: no migrations per file).
import pg from "pg";
import { inject } from "vitest";

let counter = 0;

function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

/** Creates a new database from the migrated template and returns its URL. */
export async function freshDatabaseUrl(): Promise<string> {
  const adminUrl = inject("adminUrl");
  const template = inject("templateDb");
  const name = `${template.replace("bas_tpl_", "bas_t_")}_${process.pid}_${++counter}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name} template ${template}`);
  } finally {
    await admin.end();
  }
  return withDatabase(adminUrl, name);
}

/** Runs one query on a short-lived connection (tests read tables the CLI wrote). */
export async function query<T extends pg.QueryResultRow = Record<string, unknown>>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text, params)).rows;
  } finally {
    await client.end();
  }
}
