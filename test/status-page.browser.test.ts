/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// Issue 14: the status page of a real daemon syncing the fake API, in headless Chromium. Every flow
// with its state and counts, no console errors, nothing cut off at 1280 px and 390 px, keyboard
// reaches the per-flow history, and the tables are real tables.
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { renderStatusPage } from "../src/ui/render.js";
import { launchChromium } from "./helpers/browser.js";
import { daemonHarness } from "./helpers/daemon.js";
import { freshDatabaseUrl, query } from "./helpers/db.js";
import { syncEnv } from "./helpers/fake.js";
import { freePort } from "./helpers/ports.js";
import { HOSTILE, statusModel } from "./helpers/status-models.js";
import { waitFor } from "./helpers/wait.js";

const ARTIFACTS = resolve("test-artifacts");
const harness = daemonHarness();
let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(() => browser?.close());
afterEach(() => harness.cleanup());

interface RowText {
  flowId: string;
  state: string;
  cells: Record<string, string>;
}

/** The flows table as the reader sees it: header label -> cell text, per row. */
function readFlowsTable(page: Page): Promise<RowText[]> {
  return page.evaluate(() => {
    const table = document.querySelector("table#flows")!;
    const labels = [...table.querySelectorAll("thead th")].map((th) => th.textContent!.trim());
    return [...table.querySelectorAll("tbody tr")].map((tr) => {
      const cells: Record<string, string> = {};
      for (const [i, c] of [...tr.children].entries()) cells[labels[i]!] = c.textContent!.trim();
      return {
        flowId: tr.querySelector("a[data-flow-id]")!.getAttribute("data-flow-id")!,
        state: tr.querySelector("[data-state]")!.getAttribute("data-state")!,
        cells,
      };
    });
  });
}

/** Elements sticking out of the viewport, outside the horizontally scrolling containers. */
function cutOff(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const out: string[] = [];
    for (const el of document.querySelectorAll("body *")) {
      if (el.closest(".scroll, .timeline-wrap, script, style, title, noscript")) continue;
      const r = el.getBoundingClientRect();
      if (r.width > 0 && (r.right > width + 1 || r.left < -1))
        out.push(`${el.tagName.toLowerCase()}.${el.className}: ${Math.round(r.left)}..${Math.round(r.right)} of ${width}`);
    }
    if (document.documentElement.scrollWidth > width) out.push(`page scrolls sideways: ${document.documentElement.scrollWidth} > ${width}`);
    return out;
  });
}

async function expectedCounts(url: string) {
  const rows = await query<{ flow_id: string; runs: number; pending: number; rejects: number; failures: number; missing: boolean }>(
    url,
    `select s.flow_id::text, s.consecutive_failures as failures, f.missing_since is not null as missing,
       (select count(*)::int from bird.approval_runs r where r.approval_flow_id = s.flow_id and r.deleted_at is null) as runs,
       (select count(*)::int from bird.approval_runs r where r.approval_flow_id = s.flow_id and r.deleted_at is null and r.status = 'pending') as pending,
       (select count(*)::int from bird.sync_rejects q where q.flow_id = s.flow_id) as rejects
     from bird.sync_state s left join bird.approval_flows f on f.id = s.flow_id`,
  );
  return new Map(rows.map((r) => [r.flow_id, r]));
}

describe("status page in Chromium", () => {
  it("shows every flow with its state and counts, without console errors, at 1280 px and 390 px; keyboard reaches the history", async () => {
    const api = await harness.fake({ flows: 4, runsPerFlow: 180, seed: 14, pendingFraction: 0.1, faults: { invalidRecordsPerFlow: 2 } });
    const allFlows = api.store.flows();
    const [onTimeA, onTimeB, failed, removed] = allFlows.map((f) => f.id) as [string, string, string, string];
    const url = await freshDatabaseUrl();
    const port = await freePort();
    // Configured ids: a flow Bird stops serving answers 404 and is marked missing.
    const env = {
      SYNC_SCHEDULE: "*/2 * * * * *",
      METRICS_PORT: String(port),
      SYNC_MAX_RETRIES: "0",
      BIRD_APPROVAL_IDS: allFlows.map((f) => f.id).join(","),
    };
    harness.startDaemon(syncEnv(api, url, env));
    await waitFor("the first full pass of every flow", async () => {
      const [r] = await query<{ n: number }>(url, "select count(*)::int as n from bird.sync_state where last_full_pass_at is not null");
      return r!.n === 4;
    });
    // One flow starts failing (its next pass fails: delayed, backing off); one disappears from Bird (missing).
    api.setFaults({ failFlowIds: [failed] });
    api.store.removeFlow(removed);
    await waitFor("a failed pass and a missing flow", async () => {
      const c = await expectedCounts(url);
      return (c.get(failed)?.failures ?? 0) >= 1 && c.get(removed)?.missing === true;
    });

    const errors: string[] = [];
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    page.on("pageerror", (e) => errors.push(e.message));
    // The daemon keeps cycling: read the page between two equal database reads, so both show one moment.
    let counts = await expectedCounts(url);
    let rows: RowText[] = [];
    await waitFor("a page load while the failing flow's count held still", async () => {
      const before = await expectedCounts(url);
      const response = await page.goto(`http://127.0.0.1:${port}/`);
      expect(response?.status()).toBe(200);
      expect(response?.headers()["content-security-policy"]).toContain("default-src 'none'");
      rows = await readFlowsTable(page);
      counts = await expectedCounts(url);
      return before.get(failed)?.failures === counts.get(failed)?.failures;
    });
    const failures = counts.get(failed)!.failures;
    expect(rows.map((r) => r.flowId).sort()).toEqual(allFlows.map((f) => f.id).sort());
    const states = Object.fromEntries(rows.map((r) => [r.flowId, r.state]));
    expect(states).toEqual({
      [onTimeA]: "on time",
      [onTimeB]: "on time",
      [failed]: failures >= 2 ? "failing" : "delayed",
      [removed]: "missing",
    });
    for (const row of rows) {
      const c = counts.get(row.flowId)!;
      const name = allFlows.find((f) => f.id === row.flowId)!.name;
      expect(row.cells.Flow).toContain(name);
      expect(row.cells.Rows).toBe(c.runs.toLocaleString("en-US"));
      expect(row.cells.Pending).toBe(c.pending.toLocaleString("en-US"));
      expect(row.cells.Quarantined).toBe(String(c.rejects));
      expect(row.cells["Recheck debt"]).toBe("0");
      // The fake's own truth: every valid run stored, its 2 invalid records quarantined.
      expect(c.runs).toBe(api.store.runs(row.flowId).length);
      expect(c.rejects).toBe(2);
    }
    expect(rows.find((r) => r.flowId === failed)!.cells["Last error"]).toMatch(/500|internal/i);

    // Table semantics: captions, column headers with scope, one row header per flow.
    const flowsTable = page.getByRole("table", { name: "One row per flow" });
    expect(await flowsTable.getByRole("columnheader").count()).toBe(13);
    const columnLabels = await page.$$eval("table#flows thead th", (ths) => ths.map((th) => th.textContent!.trim()));
    expect(await flowsTable.getByRole("rowheader").count()).toBe(4);
    expect(await page.$$eval("th:not([scope])", (ths) => ths.length)).toBe(0);
    expect(await page.$$eval("table:not(:has(caption))", (ts) => ts.length)).toBe(0);

    // The history of the failed flow marks its failed pass.
    const historyText = await page.locator(`details[id="history-${failed}"]`).textContent();
    expect(historyText).toMatch(/1 failed/);

    mkdirSync(ARTIFACTS, { recursive: true });
    expect(await cutOff(page)).toEqual([]);
    await page.screenshot({ path: resolve(ARTIFACTS, "status-page-1280.png"), fullPage: true });
    // On a desktop the flows table fits: no column hides behind its scroll container.
    expect(await page.$eval("table#flows", (t) => t.parentElement!.scrollWidth - t.parentElement!.clientWidth)).toBeLessThanOrEqual(0);

    // Keyboard: Tab from the top reaches a flow link, then the first history <summary>; Enter opens it.
    let reached = "";
    for (let i = 0; i < 40 && reached !== "summary"; i++) {
      await page.keyboard.press("Tab");
      reached = await page.evaluate(() => document.activeElement?.tagName.toLowerCase() ?? "");
    }
    expect(reached).toBe("summary");
    await page.keyboard.press("Enter");
    expect(await page.evaluate(() => (document.activeElement?.parentElement as HTMLDetailsElement).open)).toBe(true);

    await page.setViewportSize({ width: 390, height: 844 });
    await page.evaluate(() => {
      for (const d of document.querySelectorAll("details.history")) d.setAttribute("open", "");
    });
    expect(await cutOff(page)).toEqual([]);
    // Issue 24: on a phone each flow is a card; every field of it is on screen, nothing scrolls sideways.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expect(await page.$eval("table#flows", (t) => t.parentElement!.scrollWidth <= t.parentElement!.clientWidth)).toBe(true);
    const fields = await page.$$eval("table#flows tbody tr", (trs) =>
      trs.map((tr) =>
        [...tr.children].map((c) => {
          const r = c.getBoundingClientRect();
          const label = c.getAttribute("data-label") ?? "Flow";
          // Inside the card too: a value wider than its cell would be clipped or stick out.
          const fits = c.scrollWidth <= c.clientWidth;
          return { label, shown: r.width > 0 && r.height > 0 && r.left >= 0 && r.right <= 390 && fits, text: c.textContent!.trim() };
        }),
      ),
    );
    expect(fields).toHaveLength(4);
    for (const row of fields) {
      expect(row.map((f) => f.label)).toEqual(["Flow", ...columnLabels.slice(1)]);
      expect(row.filter((f) => !f.shown)).toEqual([]);
    }
    await page.screenshot({ path: resolve(ARTIFACTS, "status-page-390.png"), fullPage: true });
    // Section by section too: a whole 390 px page is too tall to inspect as one image.
    const sections = page.locator("header, main > section");
    for (let i = 0; i < (await sections.count()); i++) {
      await sections.nth(i).screenshot({ path: resolve(ARTIFACTS, `status-page-390-part${i}.png`) });
    }
    expect(errors).toEqual([]);
    await page.close();
  });

  it("a page built from hostile strings runs none of them: one script, no event attribute, each value read back as its text", async () => {
    const tagged = (field: string) => `${field}:${HOSTILE}`;
    const page = await browser.newPage();
    const dialogs: string[] = [];
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    // No Content-Security-Policy here (setContent sends no headers): an injected script would run.
    await page.setContent(renderStatusPage(statusModel(tagged)));
    const seen = await page.evaluate(() => ({
      scripts: document.scripts.length,
      images: document.images.length,
      handlers: [...document.querySelectorAll("*")].flatMap((el) => el.getAttributeNames().filter((n) => n.startsWith("on"))),
      flowId: document.querySelector("a[data-flow-id]")!.getAttribute("data-flow-id"),
      flowName: document.querySelector("a[data-flow-id]")!.textContent,
      leaseTitle: document.querySelector("code.lease")!.getAttribute("title"),
      lease: document.querySelector("code.lease")!.textContent,
      payload: document.querySelector("pre")!.textContent,
      latencyDesc: document.querySelector("#chart-latency-d")!.textContent,
    }));
    expect(seen).toMatchObject({ scripts: 1, images: 0, handlers: [], flowId: tagged("flow-id-0"), flowName: tagged("name-0") });
    expect([seen.leaseTitle, seen.lease, seen.payload]).toEqual([tagged("lease"), tagged("lease"), tagged("payload")]);
    expect(seen.latencyDesc).toContain(`${tagged("chart-flow-name")}: p50 1h 00m`);
    expect(dialogs).toEqual([]);
    await page.close();
  });
});
