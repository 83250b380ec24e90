// Status-page models built by hand (no database): one with every text field filled by a caller-given
// string, for escaping tests, and ordinary variants (several organizations, a running pass, charts).
import type { FlowRow, StatusModel } from "../../src/ui/model.js";

/** Breaks out of element content, a double- and a single-quoted attribute, and an SVG <text>. */
export const HOSTILE = `<script>alert(1)</script>"><img src=x onerror=alert(2)>' onmouseover='alert(3)`;

const NOW = "2025-03-07T12:00:00.000Z";
const ago = (minutes: number) => new Date(Date.parse(NOW) - minutes * 60_000).toISOString();

function pass(id: number, flowId: string, text: (field: string) => string, outcome: string | null, minutes: number) {
  return {
    id,
    flowId,
    kind: text("kind"),
    owner: text("owner"),
    startedAt: ago(minutes),
    finishedAt: outcome === null ? null : ago(minutes - 1),
    outcome,
    fromFirstPage: id % 2 === 0,
    pages: 3,
    requests: 4 + id,
    runsSeen: 120,
    inserted: 10,
    updated: 2,
    unchanged: 108,
    rejected: 1,
    deleted: 0,
    skippedLive: 0,
    error: outcome === "failed" ? text("error") : null,
  };
}

function flow(i: number, text: (field: string) => string): FlowRow {
  const flowId = text(`flow-id-${i}`);
  const history = [
    pass(3 * i + 3, flowId, text, null, 5),
    pass(3 * i + 2, flowId, text, "failed", 40),
    pass(3 * i + 1, flowId, text, "interrupted", 70),
  ];
  return {
    flowId,
    organizationId: i === 0 ? null : text("organization"),
    name: i === 2 ? null : text(`name-${i}`),
    state: (["on time", "delayed", "failing"] as const)[i % 3]!,
    stateWhy: text("why"),
    mode: "incremental",
    lastPass: { ...history[0]!, rechecked: 0, durationMs: i === 1 ? null : 61_000 },
    runs: 1234 * (i + 1),
    pending: 7,
    quarantined: 1,
    recheckDebt: 0,
    lagSeconds: i === 0 ? null : 95,
    leaseHolder: i === 1 ? null : text("lease"),
    consecutiveFailures: i,
    lastError: text("last-error"),
    history,
    progress:
      i === 1
        ? {
            startedAt: ago(10),
            pages: 12,
            runsSeen: 600,
            runsPerSecond: 2.5,
            expectedRuns: 1200,
            percent: 50,
            etaSeconds: 240,
            moving: true,
          }
        : null,
  };
}

/**
 * A page with three flows (one unnamed, one of no known organization) in two organizations, pass
 * history, quarantined records with payloads, and every chart drawn. `text(field)` gives each string.
 */
export function statusModel(text: (field: string) => string): StatusModel {
  const flows = [0, 1, 2].map((i) => flow(i, text));
  const [a, b] = flows as [FlowRow, FlowRow];
  const day = (n: number) => `2025-03-0${n}`;
  return {
    generatedAt: NOW,
    schedule: text("schedule"),
    intervalSeconds: 300,
    migrated: true,
    totals: { "on time": 1, delayed: 1, failing: 1, missing: 0 },
    organization: null,
    organizations: [
      { organizationId: text("organization"), flows: 2 },
      { organizationId: null, flows: 1 },
    ],
    flows,
    rejects: [
      {
        id: 1,
        flowId: a.flowId,
        runId: text("run-id"),
        reason: text("reason"),
        firstSeenAt: ago(90),
        lastSeenAt: ago(3),
        timesSeen: 4,
        payload: text("payload"),
      },
      {
        id: 2,
        flowId: text("unknown-flow"),
        runId: null,
        reason: text("reason"),
        firstSeenAt: ago(9),
        lastSeenAt: ago(9),
        timesSeen: 1,
        payload: "{}",
      },
    ],
    payloadsShown: true,
    charts: {
      dailyVolume: [
        { day: day(5), status: "approved", runs: 30 },
        { day: day(5), status: "denied", runs: 4 },
        { day: day(6), status: "pending", runs: 12 },
      ],
      latency: [
        { flowId: a.flowId, flowName: text("chart-flow-name"), decidedRuns: 30, p50Seconds: 3600, p90Seconds: 7200 },
        { flowId: b.flowId, flowName: text("chart-flow-name"), decidedRuns: 3, p50Seconds: 60, p90Seconds: 600 },
      ],
      cycles: [
        { startedAt: ago(40), passes: 3, requests: 12 },
        { startedAt: ago(5), passes: 3, requests: 9 },
      ],
      decisions: [
        { day: day(5), status: "approved", runs: 20 },
        { day: day(6), status: text("decision-status"), runs: 2 },
      ],
      steps: [
        { flowId: a.flowId, flowName: text("chart-flow-name"), step: text("step"), runs: 5, p50Low: 60, p50High: 120 },
        { flowId: a.flowId, flowName: text("chart-flow-name"), step: "2", runs: 1, p50Low: 600, p50High: 600 },
      ],
    },
  };
}

/** One organization's page (`?org=`), with a schema one migration behind that could still be read. */
export function organizationModel(text: (field: string) => string): StatusModel {
  return { ...statusModel(text), organization: text("organization"), migrationsBehind: { applied: 12, known: 13 } };
}

/** A schema behind this version that it could not read: the banner says why. */
export function unreadableModel(text: (field: string) => string): StatusModel {
  return {
    ...statusModel(text),
    migrated: false,
    flows: [],
    rejects: [],
    migrationsBehind: { applied: 3, known: 13 },
    unreadable: text("unreadable"),
  };
}
