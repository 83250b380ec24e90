// Finds a PostgreSQL server for the run (TEST_DATABASE_URL, else the local server, else a testcontainer
// when a container runtime exists) and migrates a template database; each test file clones it.
import { existsSync, readFileSync, rmSync } from "node:fs";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { openDatabase } from "../../src/db/connect.js";
import { createLogger } from "../../src/log.js";
import { keepListFile } from "./keep-list.js";

declare module "vitest" {
  export interface ProvidedContext {
    adminUrl: string;
    templateDb: string;
  }
}

const LOCAL = "postgres://postgres@127.0.0.1:5432/postgres";

async function reachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query("select 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function findServer(): Promise<{ url: string; stop?: () => Promise<void> }> {
  if (process.env.TEST_DATABASE_URL) {
    if (await reachable(process.env.TEST_DATABASE_URL)) return { url: process.env.TEST_DATABASE_URL };
    throw new Error("TEST_DATABASE_URL is set but the server does not answer");
  }
  if (await reachable(LOCAL)) return { url: LOCAL };
  const { getContainerRuntimeClient } = await import("testcontainers");
  try {
    await getContainerRuntimeClient();
  } catch {
    throw new Error(
      `no PostgreSQL for the tests: set TEST_DATABASE_URL, start a local server on 127.0.0.1:5432 (user postgres), or run a container runtime for testcontainers`,
    );
  }
  const { PostgreSqlContainer } = await import("@testcontainers/postgresql");
  const container = await new PostgreSqlContainer("postgres:15-alpine").start();
  return { url: container.getConnectionUri(), stop: async () => void (await container.stop()) };
}

export function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

export default async function setup(project: TestProject) {
  const server = await findServer();
  const templateDb = `bas_tpl_${process.pid}_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  await admin.query(`create database ${templateDb}`);
  const logger = createLogger({ logLevel: "warn", logFormat: "json", accessKey: "", databaseUrl: undefined });
  const db = await openDatabase({ databaseUrl: withDatabase(server.url, templateDb), pgliteDir: "" }, logger);
  await db.migrate();
  await db.close();
  project.provide("adminUrl", server.url);
  project.provide("templateDb", templateDb);
  return async () => {
    const { rows } = await admin.query<{ datname: string }>(
      `select datname from pg_database where datname like 'bas_%' and datname like $1`,
      [`%${process.pid}%`],
    );
    // A failed test's databases stay for inspection (test/setup/hygiene.ts named them in its failure).
    const listFile = keepListFile(templateDb);
    const kept = new Set(existsSync(listFile) ? readFileSync(listFile, "utf8").split("\n").filter(Boolean) : []);
    rmSync(listFile, { force: true });
    for (const { datname } of rows) {
      if (kept.has(datname)) continue;
      await admin
        .query(`drop database if exists ${datname} with (force)`)
        .catch((err: Error) => console.error(`could not drop ${datname}: ${err.message}`));
    }
    if (kept.size > 0) {
      console.error(`kept for inspection (drop with \`dropdb NAME\` when done): ${[...kept].join(", ")}`);
    }
    await admin.end();
    await server.stop?.();
  };
}
