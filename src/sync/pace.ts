// How a full pass's default stream spends its time, to decide whether a second stream would help.

/**
 * Where the default stream's time goes: waiting for its next page (the API) or writing the pages. A
 * second stream pays off only while the API is the wait (measured locally against a fast API, it cost
 * 13% of a CPU-bound backfill's throughput and 15 MB of memory for nothing).
 */
export class Pace {
  private waited = 0;
  private wrote = 0;
  private pages = 0;

  note(waitedMs: number, wroteMs: number): void {
    this.waited += waitedMs;
    this.wrote += wroteMs;
    this.pages++;
  }

  get waitsOnApi(): boolean {
    return this.pages > 0 && this.waited > this.wrote;
  }

  averages(): { waitedMs: number; wroteMs: number } {
    const per = (ms: number) => Math.round(ms / Math.max(1, this.pages));
    return { waitedMs: per(this.waited), wroteMs: per(this.wrote) };
  }
}
