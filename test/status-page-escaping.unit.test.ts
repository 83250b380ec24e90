// Issue 21 (11): the status page escapes through one tagged template, so no value from the API or the
// database becomes markup, in element text, attribute values or SVG text, wherever it is shown.
import { describe, expect, it } from "vitest";
import { html, joinHtml } from "../src/ui/html.js";
import type { StatusModel } from "../src/ui/model.js";
import { renderStatusPage, renderUnavailablePage } from "../src/ui/render.js";
import { HOSTILE, organizationModel, statusModel, unreadableModel } from "./helpers/status-models.js";

/** The test's own escaper (not the page's): what a value must look like in the page. */
const escaped = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");

/**
 * The page's markup without its text: each tag's name and attribute names, in order. Data that became
 * markup adds a tag (`<img`, `<script`) or an attribute (`onerror`, `onmouseover`) to it.
 */
function skeleton(page: string): string[] {
  const attribute = /\s+([^\s=/>]+)(?:=(?:"[^"]*"|'[^']*'|[^\s"'>]*))?/g;
  const tag = new RegExp(`<(/?[a-zA-Z][\\w-]*)((?:${attribute.source})*)\\s*/?>`, "g");
  return [...page.matchAll(tag)].map(([, name, attrs]) => `${name}(${[...(attrs ?? "").matchAll(attribute)].map((a) => a[1]).join(",")})`);
}

// The fields a page shows whole (not cut to fit), each given as `field:HOSTILE` so it can be found.
const SHOWN = ["name-0", "name-1", "flow-id-2", "organization", "why", "kind", "last-error", "error", "lease", "run-id", "reason"];
const CHARTS = ["unknown-flow", "schedule", "chart-flow-name", "step", "decision-status"];
const tagged = (field: string) => `${field}:${HOSTILE}`;
const withoutPayloads = (m: StatusModel): StatusModel => ({
  ...m,
  payloadsShown: false,
  rejects: m.rejects.map(({ payload: _, ...r }) => r),
});
const variants: Array<[string, (text: (field: string) => string) => StatusModel, string[]]> = [
  ["all organizations", statusModel, [...SHOWN, ...CHARTS, "payload"]],
  ["one organization, schema behind", organizationModel, [...SHOWN, ...CHARTS, "payload"]],
  ["unreadable schema", unreadableModel, ["schedule", "organization", "unreadable"]],
  ["no payloads", (t) => withoutPayloads(statusModel(t)), [...SHOWN, ...CHARTS]],
];

describe("the html tag", () => {
  it("escapes text, double- and single-quoted attribute values, numbers and lists; keeps its own fragments", () => {
    const v = `<b>"x" & 'y'</b>`;
    expect(String(html`<p title="${v}" data-x='${v}'>${v}</p>`)).toBe(
      `<p title="&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/b&gt;" data-x='&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/b&gt;'>&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/b&gt;</p>`,
    );
    expect(String(html`<ul>${["<a>", html`<li>${"<b>"}</li>`, 3, null, undefined]}</ul>`)).toBe("<ul>&lt;a&gt;<li>&lt;b&gt;</li>3</ul>");
    // A string that merely looks like a fragment is text.
    expect(String(html`${String(html`<i>x</i>`)}`)).toBe("&lt;i&gt;x&lt;/i&gt;");
    expect(String(joinHtml(["a:", "<b>"], html`<wbr>`))).toBe("a:<wbr>&lt;b&gt;");
  });

  it("shows control characters as escapes and lone surrogates as U+FFFD, in text and in lists", () => {
    expect(String(html`${"a\u0000b\u001fc"}`)).toBe("a\\u0000b\\u001fc");
    expect(String(html`${["x\ud800y", "\u007f"]}`)).toBe("x\ufffdy\\u007f");
    expect(String(html`${"😀\t\n"}`)).toBe("😀\t\n");
  });
});

describe("a status page built from hostile strings", () => {
  const neutral = (field: string) => `${field}:harmless value`;
  for (const [name, model, shown] of variants) {
    it(`${name}: every value is escaped, so the page's markup is the same as with harmless values`, () => {
      const page = renderStatusPage(model(tagged));
      expect(page.match(/<script/g)).toHaveLength(1);
      expect(page).toContain("<script>(function(){");
      expect(page).not.toContain(HOSTILE);
      expect(page).not.toContain("<img");
      expect(skeleton(page)).toEqual(skeleton(renderStatusPage(model(neutral))));
      for (const field of shown) expect(page, field).toContain(escaped(tagged(field)));
      if (!shown.includes("payload")) expect(page).not.toContain(escaped(tagged("payload")));
    });
  }

  it("the lease holder is broken at its colons, each piece escaped, and whole in its title", () => {
    const owner = `host:${HOSTILE}:tag`;
    const page = renderStatusPage(statusModel((f) => (f === "lease" ? owner : f)));
    expect(page).toContain(`<code class="lease" title="${escaped(owner)}">host:<wbr>${escaped(HOSTILE)}:<wbr>tag</code>`);
    expect(page.match(/<script/g)).toHaveLength(1);
  });

  it("the database-unreachable page escapes the database's reason", () => {
    const page = renderUnavailablePage(HOSTILE, "2025-03-07T12:00:00.000Z");
    expect(page).toContain(`<span dir="auto">${escaped(HOSTILE)}</span>`);
    expect(page.match(/<script/g)).toHaveLength(1);
    expect(skeleton(page)).toEqual(skeleton(renderUnavailablePage("reason", "2025-03-07T12:00:00.000Z")));
  });
});
