// The page write is kept whole as one SQL text (src/db/sql/write-runs-page.ts). A change to what is sent
// shows here as a diff of the .sql snapshots, to be read in review like code.
import { PgDialect } from "drizzle-orm/pg-core";
import { describe, expect, it } from "vitest";
import { bindNamed } from "../src/db/sql/bind.js";
import { WRITE_RUNS_PAGE } from "../src/db/sql/write-runs-page.js";

describe("the page write statement", () => {
  it("is the reviewed text, in both of its forms", async () => {
    await expect(WRITE_RUNS_PAGE.answer).toMatchFileSnapshot("./__snapshots__/write-runs-page.answer.sql");
    await expect(WRITE_RUNS_PAGE.texts).toMatchFileSnapshot("./__snapshots__/write-runs-page.texts.sql");
  });

  it("sends every value as a bind parameter, none spliced into the text", () => {
    const q = new PgDialect().sqlToQuery(bindNamed("select @a::int + @b::int, @a::text where @c", { a: 1, b: "2'; drop", c: true }));
    expect(q.sql).toBe("select $1::int + $2::int, $3::text where $4");
    expect(q.params).toEqual([1, "2'; drop", 1, true]);
  });

  it("refuses a parameter without a value", () => {
    expect(() => bindNamed("select @missing", {})).toThrow("@missing has no value");
  });
});
