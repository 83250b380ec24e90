// Where a test worker lists the databases to keep after the run: next to nothing else, named after
// the run's template database so parallel runs (other pids) never read each other's list.
import { tmpdir } from "node:os";
import { join } from "node:path";

export function keepListFile(templateDb: string): string {
  return join(tmpdir(), `${templateDb}.keep`);
}
