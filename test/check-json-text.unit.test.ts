// Issue 14: `check` compares GET-by-id with the listed copy by value, numbers by their text.
import { describe, expect, it } from "vitest";
import { firstDifference, parseJsonText } from "../src/check/json-text.js";

const diff = (a: string, b: string) => firstDifference(parseJsonText(a), parseJsonText(b));

describe("JSON text comparison", () => {
  it("ignores key order, whitespace and string escapes", () => {
    expect(diff('{"a":1,"b":"é\\n","c":[true,null]}', ' { "c" : [ true , null ] , "b" : "\\u00e9\\n" , "a" : 1 } ')).toBeUndefined();
  });

  it("compares numbers by their text, which JSON.parse would blur", () => {
    expect(diff('{"n":1.0}', '{"n":1}')).toBe("$.n: 1.0 vs 1");
    expect(diff('{"n":0.1000000000000000055}', '{"n":0.1}')).toBe("$.n: 0.1000000000000000055 vs 0.1");
    expect(diff('{"n":12345678901234567890}', '{"n":12345678901234567890}')).toBeUndefined();
  });

  it("names where they first differ: a missing key, an array length, a type", () => {
    expect(diff('{"a":{"b":[1,2]}}', '{"a":{"b":[1]}}')).toBe("$.a.b: 2 items vs 1");
    expect(diff('{"a":1}', '{"a":1,"z":2}')).toBe("$.z: absent vs present");
    expect(diff('{"a":"1"}', '{"a":1}')).toBe('$.a: "1" vs 1');
    expect(diff('{"results":[{"comment":"x"}]}', '{"results":[{"comment":"y"}]}')).toBe('$.results[0].comment: "x" vs "y"');
    // A key named __proto__ is data like any other (an own member, never the prototype).
    expect(diff('{"__proto__":{"a":1}}', '{"__proto__":{"a":2}}')).toBe("$.__proto__.a: 1 vs 2");
    expect(diff(`{"c":"${"x".repeat(80)}1"}`, `{"c":"${"x".repeat(80)}2"}`)).toMatch(/^\$\.c: "x+/);
  });

  it("rejects what is not JSON", () => {
    for (const bad of ["{", '{"a":}', "[1,]", "01", '{"a":1} x', '"unterminated']) expect(() => parseJsonText(bad)).toThrow(SyntaxError);
  });
});
