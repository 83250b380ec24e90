// The flow listing ends by progress (new flow ids), not by trusting page tokens (DESIGN exactness rule 7).
import { PagingLoopError } from "../errors.js";
import { recordUuid } from "./schema.js";

// Offset tokens over a list that shifts, or a server that loops under fresh tokens, would page forever:
// this many pages in a row without a flow id not listed before end the listing (issue 20).
const MAX_FLOW_PAGES_WITHOUT_NEW_ID = 5;

/** Whether a flow listing still makes progress: a page token seen before, or pages of only known ids, end it. */
export class FlowListProgress {
  private readonly tokens = new Set<string>();
  private readonly ids = new Set<string>();
  private stale = 0;

  check(records: readonly unknown[], nextToken: string): void {
    const before = this.ids.size;
    for (const r of records) {
      const id = recordUuid(r);
      if (id) this.ids.add(id);
    }
    this.stale = this.ids.size > before ? 0 : this.stale + 1;
    if (this.tokens.has(nextToken)) {
      throw new PagingLoopError("the flow list returned a page token it had already given: paging would never end");
    }
    this.tokens.add(nextToken);
    if (this.stale >= MAX_FLOW_PAGES_WITHOUT_NEW_ID) {
      const repeated = [...new Set(records.map(recordUuid).filter((id) => id !== undefined))].slice(0, 5);
      throw new PagingLoopError(
        `the flow list brought no flow it had not already listed in ${this.stale} pages in a row, under fresh page tokens ` +
          `(${repeated.length > 0 ? `the last repeated ${repeated.join(", ")}` : "the last were empty"}): paging would never end`,
      );
    }
  }
}
