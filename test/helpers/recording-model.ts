// The simulation's model Bird, remembering every list request (direction and token): tests count
// reverse requests and pages fetched twice with it, in-process or served over HTTP.
import { ModelUpstream } from "../sim/model-upstream.js";

export class RecordingModel extends ModelUpstream {
  readonly lists: Array<{ reverse: boolean; token: string | undefined }> = [];

  override listText(
    flowId: string,
    page: { pageToken?: string | undefined; limit: number; reverse?: boolean | undefined },
  ): string | undefined {
    this.lists.push({ reverse: page.reverse === true, token: page.pageToken });
    return super.listText(flowId, page);
  }

  /** List requests in one direction (only first pages, or only later ones, when asked). */
  count(reverse: boolean, firstPage?: boolean): number {
    return this.lists.filter((l) => l.reverse === reverse && (firstPage === undefined || (l.token === undefined) === firstPage)).length;
  }

  /** Pages (direction + token) requested more than once. */
  repeated(): number {
    const keys = this.lists.map((l) => `${l.reverse}|${l.token ?? ""}`);
    return keys.length - new Set(keys).size;
  }
}
