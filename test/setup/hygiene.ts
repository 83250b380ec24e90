// Runs around every test (vitest setupFiles): a test that leaves a child process running fails,
// naming it; a test that fails keeps its file's databases and names them.
import { afterAll, afterEach, beforeEach } from "vitest";
import { childMark, reapChildren } from "../helpers/children.js";
import { keepDatabasesForInspection } from "../helpers/db.js";

let mark = 0;

beforeEach(({ onTestFailed, task }) => {
  mark = childMark();
  onTestFailed(() => void keepDatabasesForInspection(task.name));
});

const leftRunning = (left: string[], by: string) =>
  new Error(`${by} left ${left.length} process(es) running (now killed): ${left.join(", ")}; stop them and await their exit`);

afterEach(async () => {
  const left = await reapChildren(mark);
  if (left.length > 0) throw leftRunning(left, "the test");
});

// Children a file started in beforeAll live across its tests; by the end of the file they are gone too.
afterAll(async () => {
  const left = await reapChildren();
  if (left.length > 0) throw leftRunning(left, "the test file");
});
