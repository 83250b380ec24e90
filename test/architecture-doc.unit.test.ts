// Issue 21: docs/ARCHITECTURE.md walks a page through the code by file name; every file it names exists.
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const doc = readFileSync(new URL("../docs/ARCHITECTURE.md", import.meta.url), "utf8");

/** `sync/page-check.ts`, `src/model.ts`, `migrations/` — paths in backticks, with src/ added where the doc leaves it out. */
function namedPaths(): string[] {
  const paths = [...doc.matchAll(/`([\w./-]+(?:\.ts|\.mjs|\/))`/g)].map((m) => m[1]!);
  return paths.map((p) => (p.startsWith("src/") || p.startsWith("scripts/") || p.startsWith("migrations/") ? p : `src/${p}`));
}

describe("docs/ARCHITECTURE.md", () => {
  it("names only files and folders that exist", () => {
    const named = namedPaths();
    expect(named.length).toBeGreaterThan(30);
    expect(named.filter((p) => !existsSync(new URL(`../${p}`, import.meta.url)))).toEqual([]);
  });
});
