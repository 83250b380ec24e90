// Issue 21: table widths are terminal columns, measured by string-width (not a hand-kept regex):
// emoji sequences joined by ZWJ take two columns, combining marks and zero-width spaces none.
import { describe, expect, it } from "vitest";
import { displayWidth, renderTable } from "../src/text-table.js";

describe("renderTable", () => {
  it("pads cells by terminal columns, so the next column starts at the same column on every line", () => {
    const names = ["Invoices", "請求書の承認", "Family 👩‍👩‍👧 refunds", "Cafe\u0301 e\u0301te\u0301", "zero\u200bwidth", "موافقات الخصم"];
    const table = renderTable(
      ["flow", "runs"],
      names.map((n, i) => [n, String(i * 1000)]),
      { rightAlign: [1] },
    );
    const lines = table.trimEnd().split("\n");
    // Every line is as wide as the rule under the header: each flow cell was padded to the same width.
    const ruleWidth = displayWidth(lines[1]!);
    for (const line of lines.slice(2)) expect(displayWidth(line)).toBe(ruleWidth);
    expect(displayWidth("👩‍👩‍👧")).toBe(2);
    expect(displayWidth("請求書")).toBe(6);
    expect(displayWidth("e\u0301")).toBe(1);
    expect(displayWidth("a\u200bb")).toBe(2);
  });
});
