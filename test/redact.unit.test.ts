// Issue 25: what a recording keeps and what it redacts, on the answer's own text (README "What a
// recording keeps, and what it redacts").
import { describe, expect, it } from "vitest";
import { isLosslessNumber } from "lossless-json";
import { type JsonValue, parseJsonText } from "../src/check/json-text.js";
import { redactAnswer, redactAnswerInPlace } from "../src/bird/redact.js";
import { SecretBytes } from "../src/bird/secret-bytes.js";

const RUNS = "/organizations/o/approvals/f/runs";
const RUN = "/organizations/o/approvals/f/runs/r";
const FLOWS = "/organizations/o/approvals";
const ID = "0b6c2f9e-5a1d-4c3b-9e8f-1a2b3c4d5e6f";
const REVIEWER = "2b6c2f9e-5a1d-4c3b-9e8f-1a2b3c4d5e6f";

const run = (fields: Record<string, string>) =>
  `{${Object.entries({
    id: `"${ID}"`,
    approvalFlowId: `"1b6c2f9e-5a1d-4c3b-9e8f-1a2b3c4d5e6f"`,
    status: '"approved"',
    activeStep: "1.50",
    tags: "[]",
    results: "[]",
    createdAt: '"2025-01-01T00:00:00Z"',
    updatedAt: '"2025-01-01T00:00:00.123+02:00"',
    ...fields,
  })
    .map(([k, v]) => `"${k}":${v}`)
    .join(",")}}`;

const member = (node: JsonValue, key: string): JsonValue => {
  if (node === null || typeof node !== "object" || Array.isArray(node)) throw new Error("not an object");
  return (node as Record<string, JsonValue>)[key];
};

describe("redactAnswer keeps", () => {
  it("ids, status, activeStep, timestamps, results[].result, reviewer, invoker and the page token byte for byte", () => {
    const text = `{"results":[${run({
      invoker: `{"type":"user","id":"${REVIEWER}"}`,
      results: `[{"result":"rejected","userId":"${REVIEWER}","reviewer":{"type":"user","id":"${REVIEWER}"},"comment":"Not in budget"}]`,
    })}],"nextPageToken":"WzE3MzU2ODk2MDAwMDAsImFiYyJd"}`;
    const out = redactAnswer(RUNS, 200, text);
    for (const kept of [
      `"id":"${ID}"`,
      '"status":"approved"',
      '"activeStep":1.50',
      '"createdAt":"2025-01-01T00:00:00Z"',
      '"updatedAt":"2025-01-01T00:00:00.123+02:00"',
      `"invoker":{"type":"user","id":"${REVIEWER}"}`,
      `"result":"rejected","userId":"${REVIEWER}","reviewer":{"type":"user","id":"${REVIEWER}"}`,
      '"nextPageToken":"WzE3MzU2ODk2MDAwMDAsImFiYyJd"',
    ]) {
      expect(out).toContain(kept);
    }
    expect(out).toContain('"comment":"Xxx xx xxxxxx"');
  });

  it("an error answer's code and message, and the byte length of every answer", () => {
    const error = '{"code":"NotFound","message":"approval run 42 not found"}';
    expect(redactAnswer(RUN, 404, error)).toBe(error);
    const text = run({ object: '{"name":"Zoë Ångström 🐦 承認","n":-12.50e+3}' });
    expect(Buffer.byteLength(redactAnswer(RUN, 200, text))).toBe(Buffer.byteLength(text));
  });

  it("uuids and date-times inside free text, and escapes PostgreSQL can't store", () => {
    const object = `{"ref":"${REVIEWER}","due":"2025-03-01T10:00:00.5-05:00","nul":"a\\u0000b","lone":"x\\ud800"}`;
    const out = redactAnswer(RUN, 200, run({ object }));
    expect(out).toContain(`"${REVIEWER}"`);
    expect(out).toContain('"2025-03-01T10:00:00.5-05:00"');
    expect(out).toContain('"x\\u0000x"');
    expect(out).toContain('"x\\ud800"');
  });

  it("the form of every number in free text: sign, digit count, zeros, first digit, fraction, exponent", () => {
    const object = '{"a":1234.10,"b":12345678901234567890,"c":1e400,"d":-0.5e-3,"e":0,"f":907}';
    const out = member(parseJsonText(redactAnswer(RUN, 200, run({ object }))), "object");
    if (out === null || typeof out !== "object") throw new Error("object lost");
    expect(Object.values(out).map((v) => (isLosslessNumber(v) ? v.value : typeof v))).toEqual([
      "1555.50",
      "15555555505555555550",
      "1e400",
      "-0.5e-3",
      "0",
      "905",
    ]);
  });
});

describe("redactAnswer replaces free text with placeholders of the same shape", () => {
  const SECRETS = ["Zoë", "Ångström", "承認", "🐦", "salary", "IBAN", "NL91ABNA0417164300", "hush", "sekret", "prod", "team"];
  const object = '{"salary":{"IBAN":"NL91ABNA0417164300","who":"Zoë Ångström"},"note":"承認 🐦","list":["hush",["deeper \\"hush\\""]]}';

  it("in object, previousObject, tags, comments and fields the run schema does not know", () => {
    const text = run({
      object,
      previousObject: object,
      tags: '[{"key":"team","value":"prod"}]',
      results: '[{"result":"approved","comment":"sekret"}]',
      customField: '"hush"',
    });
    const out = redactAnswer(RUN, 200, text);
    for (const s of SECRETS) expect(out).not.toContain(s);
    expect(JSON.parse(out)).toMatchObject({ tags: [{ key: "xxxx", value: "xxxx" }], customField: "xxxx" });
    expect(out).toContain(':["xxxx",["xxxxxx \\"xxxx\\""]]');
  });

  it("in a flow's name, description, step messages and tags, keeping its ids and types", () => {
    const flow = `{"id":"${ID}","name":"Payroll hush","description":"salary sekret","objectType":"invoice","objectAction":"create",
      "steps":[{"type":"any","reviewers":[{"type":"user","id":"${REVIEWER}"}],"message":"IBAN please"}],"tags":[{"key":"team","value":"prod"}]}`;
    const out = redactAnswer(FLOWS, 200, `{"results":[${flow}],"nextPageToken":""}`);
    for (const s of SECRETS) expect(out).not.toContain(s);
    expect(JSON.parse(out).results[0]).toMatchObject({
      id: ID,
      name: "Xxxxxxx xxxx",
      objectType: "invoice",
      objectAction: "create",
      steps: [{ type: "any", reviewers: [{ type: "user", id: REVIEWER }], message: "XXXX xxxxxx" }],
    });
  });

  it("escaped letters and escaped surrogate pairs too", () => {
    const out = redactAnswer(RUN, 200, run({ object: '{"k":"\\u0053ecret \\ud83d\\ude80 \\u00e9t\\u00e9"}' }));
    expect(JSON.parse(out).object).toEqual({ x: "Xxxxxx 𝑥 éxé" });
  });

  it("keeping an object's members apart: different keys stay different, a repeated key stays repeated", () => {
    const out = redactAnswer(RUN, 200, run({ object: '{"kind":1,"note":2,"kind":3,"ab":4,"cd":5}' }));
    const names = [...out.slice(out.indexOf('"object":')).matchAll(/"(\w+)":\d/g)].map((m) => m[1]);
    expect(names).toHaveLength(5);
    expect(names[0]).toBe(names[2]);
    expect(new Set(names).size).toBe(4);
  });

  it("for each object on its own: its neighbours' keys, however many, do not change its placeholders", () => {
    const many = `{${Array.from({ length: 40 }, (_, i) => `"k${i}":${i}`).join(",")}}`;
    const objects = ['{"kind":1,"note":2}', '{"note":3,"kind":4,"rate":5}', many, '{"kind":6,"note":7}', '{"a":{"kind":8,"note":9}}'];
    const alone = objects.map((o) => JSON.parse(redactAnswer(RUN, 200, run({ object: o }))).object);
    const together = JSON.parse(redactAnswer(RUN, 200, run({ object: `[${objects.join(",")}]` }))).object;
    expect(together).toEqual(alone);
    expect(Object.keys(together[1])).toEqual(["xxxx", "xxxb", "xxxc"]);
  });

  it("the same for an object whose keys were seen before, left a known sequence mid-way, or came when no more are remembered", () => {
    const objects = ['{"kind":1,"note":2,"meta":3}', '{"kind":1,"note":2,"text":3,"meta":4}', '{"note":1,"kind":2}'];
    const placeholders = () => objects.map((o) => Object.keys(JSON.parse(redactAnswer(RUN, 200, run({ object: o }))).object));
    const first = placeholders();
    expect(first[0]).toEqual(["xxxx", "xxxb", "xxxc"]);
    expect(first[1]).toEqual(["xxxx", "xxxb", "xxxc", "xxxd"]);
    expect(placeholders()).toEqual(first);
    // An object with more keys than the tree of key sequences holds (16,384) fills it.
    const huge = `{${Array.from({ length: 20_000 }, (_, i) => `"k${i}":${i % 10}`).join(",")}}`;
    expect(Object.keys(JSON.parse(redactAnswer(RUN, 200, run({ object: huge }))).object)).toHaveLength(20_000);
    const unseen = '{"size":1,"name":2,"mode":3}';
    expect(Object.keys(JSON.parse(redactAnswer(RUN, 200, run({ object: unseen }))).object)).toEqual(["xxxx", "xxxb", "xxxc"]);
    expect(placeholders()).toEqual(first);
  });

  it("in objects with many keys (compared through maps, not a scan)", () => {
    const many = `{${Array.from({ length: 200 }, (_, i) => `"k${i}":${i}`).join(",")}}`;
    const out = JSON.parse(redactAnswer(RUN, 200, run({ object: many })));
    expect(Object.keys(out.object)).toHaveLength(200);
  });

  it("in free text nested deeper than a call stack allows", () => {
    const deep = `${"[".repeat(200_000)}"hush"${"]".repeat(200_000)}`;
    const out = redactAnswer(RUN, 200, run({ object: `{"d":${deep}}` }));
    expect(out).toContain(`${"[".repeat(200_000)}"xxxx"`);
  });

  it("character by character in a body that is not JSON (an HTML page, a cut-off answer)", () => {
    const html = "<html><title>502 Bad Gateway: hush</title></html>";
    expect(redactAnswer(RUNS, 200, html)).toBe("<xxxx><xxxxx>000 Xxx Xxxxxxx: xxxx</xxxxx></xxxx>");
    const cut = `{"results":[${run({ object: '{"k":"hush"}' })}`.slice(0, -5);
    const out = redactAnswer(RUNS, 200, cut);
    expect(out).toHaveLength(cut.length);
    expect(out).not.toContain("hush");
  });
});

describe("the access key, wherever redaction keeps text as it is", () => {
  const inPlace = (path: string, status: number, text: string, key: string) => {
    const buf = Buffer.from(text, "utf8");
    const json = redactAnswerInPlace(path, status, buf, new SecretBytes(Buffer.from(key, "utf8")));
    return { out: buf.toString("utf8"), json };
  };

  it("becomes asterisks in kept fields, error messages and field names; the rest is redacted as without it", () => {
    const KEY = "bird-key-7Qz";
    const stars = "*".repeat(KEY.length);
    const text = run({ status: `"${KEY}"`, [KEY]: '"x"', object: `{"note":"${KEY}"}` });
    const { out, json } = inPlace(RUN, 200, text, KEY);
    expect(json).toBe(true);
    expect(out).not.toContain(KEY);
    expect(out).toBe(redactAnswer(RUN, 200, text).split(KEY).join(stars));
    expect(out).toContain(`"status":"${stars}"`);
    expect(inPlace(RUN, 404, `{"code":"x","message":"key ${KEY} unknown"}`, KEY).out).toBe(`{"code":"x","message":"key ${stars} unknown"}`);
  });

  it("in ids and date-times free text keeps, as values and as keys, when the key has that form", () => {
    const object = `{"ref":"${ID}","${ID}":1,"list":["${ID}"]}`;
    const { out } = inPlace(RUN, 200, run({ object }), ID);
    expect(out).not.toContain(ID);
    expect(JSON.parse(out).object).toEqual({ xxx: "*".repeat(36), ["*".repeat(36)]: 1, xxxx: ["*".repeat(36)] });
  });

  it("is found at either end of a range, next to itself and not beyond the range", () => {
    const secret = new SecretBytes(Buffer.from("abab"));
    const buf = Buffer.from("ababab-abab|abab");
    secret.scrub(buf, 0, 11);
    expect(buf.toString()).toBe("****ab-****|abab");
    const again = Buffer.from("aababba");
    secret.scrub(again, 0, again.length);
    expect(again.toString()).toBe("a****ba");
  });
});
