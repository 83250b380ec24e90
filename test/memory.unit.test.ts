// The page collector frees what V8 would otherwise keep until its own full collection: large strings
// (page texts) that nothing references any more. It asks through the inspector protocol: no V8 flag.
import v8 from "node:v8";
import { describe, expect, it } from "vitest";
import { pageGarbageCollector } from "../src/memory.js";

const used = () => v8.getHeapStatistics().used_heap_size;

describe("pageGarbageCollector", () => {
  it("runs a full collection every N pages, freeing page-sized strings no one holds", async () => {
    const afterPage = pageGarbageCollector(3);
    // 40 flat two-byte strings of ~400 kB each, decoded from UTF-8 as page texts are: large-object space
    const utf8 = new TextDecoder();
    let texts: string[] | null = Array.from({ length: 40 }, (_, i) => utf8.decode(Buffer.from(`é${i}`.repeat(100_000))));
    expect(texts.length).toBe(40);
    texts = null;
    const before = used();
    expect(afterPage()).toBeUndefined();
    expect(afterPage()).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(used()).toBeGreaterThan(before - 4_000_000); // two pages: nothing collected yet
    await afterPage();
    expect(used()).toBeLessThan(before - 12_000_000); // the third: the ~16 MB of garbage is gone
  });

  it("turns no V8 flag on", () => {
    expect(typeof (globalThis as { gc?: unknown }).gc).toBe("undefined");
  });
});
