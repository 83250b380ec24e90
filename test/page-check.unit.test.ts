// What one page sends to the database: each run's own text (the last copy per id), rejects once per id.
import { describe, expect, it } from "vitest";
import { arrayMemberTexts } from "../src/bird/json-text.js";
import { RecordTexts } from "../src/bird/record-texts.js";
import { checkPage } from "../src/sync/page-check.js";

const run = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  approvalFlowId: "223e4567-e89b-12d3-a456-426614174000",
  status: "pending",
  tags: [],
  results: [],
  createdAt: "2025-07-10T03:10:22.747Z",
  updatedAt: "2025-07-10T03:10:22.747Z",
  ...extra,
});
const LISTED = { flowId: "223E4567-E89B-12D3-A456-426614174000" };
const A = "123e4567-e89b-12d3-a456-426614174001";
const B = "123e4567-e89b-12d3-a456-426614174002";

/** A list answer as text, its records as JSON.parse reads them, and their own texts. */
function answer(text: string) {
  const records = (JSON.parse(text) as { results: unknown[] }).results;
  return { records, texts: RecordTexts.ofAnswer(text, undefined, "results", records.length) };
}

describe("checkPage", () => {
  it("keeps the last copy of a run listed twice, and sends the API's own text", () => {
    const text = `{"results":[${JSON.stringify(run(A, { activeStep: 1 }))}, ${JSON.stringify(run(B))},\n ${JSON.stringify(run(A)).replace("}", ',"activeStep":2.50}')}],"nextPageToken":"t"}`;
    const { records, texts } = answer(text);
    const page = checkPage(records, texts, LISTED);
    expect(page.runs.map((r) => r.id)).toEqual([B, A]);
    expect(texts.at(page.runs[1]!.at)).toContain('"activeStep":2.50');
    expect(page.hasExtra).toBe(false);
    expect(page.seen).toBe(3);
  });

  it("a run valid and invalid on the same page is written, not quarantined", () => {
    const { records, texts } = answer(JSON.stringify({ results: [run(A, { status: "archived" }), run(A)] }));
    const page = checkPage(records, texts, LISTED);
    expect(page.runs.map((r) => r.id)).toEqual([A]);
    expect(page.rejects).toEqual([]);
  });

  it("two different invalid copies of one run are one reject (the last), and the run counts as listed", () => {
    const { records, texts } = answer(
      JSON.stringify({ results: [run(A, { status: "archived" }), run(A.toUpperCase(), { status: "maybe" })] }),
    );
    const page = checkPage(records, texts, LISTED);
    expect(page.rejects).toHaveLength(1);
    expect(page.rejects[0]!.reason).toMatch(/status/);
    expect(page.rejects[0]!.payload).toBe(texts.at(1));
    expect(page.listedIds).toEqual([A]);
  });

  it("a NUL or lone surrogate escape quarantines only its own record; the others keep their exact text", () => {
    const text = `{"results":[${JSON.stringify(run(A)).replace("}", ',"object":{"note":"nul\\u0000"}}')},${JSON.stringify(run(B)).replace("}", ',"object":{"n":1.10,"s":"\\ud83d\\ude80","p":"C:\\\\u0000dir"},"brandNew":1}')}]}`;
    const { records, texts } = answer(text);
    const page = checkPage(records, texts, LISTED);
    expect(page.rejects.map((r) => r.runId)).toEqual([A]);
    expect(page.rejects[0]!.reason).toMatch(/NUL/);
    expect(page.runs.map((r) => texts.at(r.at))).toEqual([texts.at(1)]);
    expect(texts.at(1)).toContain('"n":1.10,"s":"\\ud83d\\ude80","p":"C:\\\\u0000dir"');
    expect(page.hasExtra).toBe(true);
  });

  it("cuts records out of an ordinary answer only to quarantine one: valid runs are written from the answer whole", () => {
    const plain = RecordTexts.ofAnswer(JSON.stringify({ results: [run(A), run(B)] }), undefined, "results", 2);
    expect(plain.risky).toBe(false);
    expect(checkPage([run(A), run(B)], plain, LISTED).runs.map((r) => r.at)).toEqual([0, 1]);
    expect((plain as unknown as { cut?: unknown }).cut).toBeUndefined();
    const risky = RecordTexts.ofAnswer(
      `{"results":[${JSON.stringify(run(A))},${JSON.stringify(run(B, { object: { s: "\ud83d" } }))}]}`,
      undefined,
      "results",
      2,
    );
    expect([risky.risky, risky.riskyAt(0), risky.riskyAt(1)]).toEqual([true, false, true]);
  });
});

describe("arrayMemberTexts", () => {
  it("cuts each element's exact text, whatever the whitespace, escapes and nesting", () => {
    const text = ' { "nextPageToken" : "a\\"]}" , "results" : [ {"a":[1,{"b":"}]\\\\"}]} ,\n\t"x\\u0022", 1e400 , -0.0,[] ] } ';
    expect(arrayMemberTexts(text, "results")).toEqual(['{"a":[1,{"b":"}]\\\\"}]}', '"x\\u0022"', "1e400", "-0.0", "[]"]);
  });

  it("reads the key as JSON.parse does: escaped spelling counts and the last of a repeated key wins", () => {
    expect(arrayMemberTexts('{"results":[1],"\\u0072esults":[2, 3]}', "results")).toEqual(["2", "3"]);
    expect(arrayMemberTexts('{"results":[]}', "results")).toEqual([]);
    expect(arrayMemberTexts('{"other":[1]}', "results")).toBeUndefined();
    expect(arrayMemberTexts("[1]", "results")).toBeUndefined();
  });
});
