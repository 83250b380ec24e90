// Runs around every test (vitest setupFiles): a test that leaves a child process running fails,
// naming it; a test that fails keeps its file's databases and names them.
import { afterEach, beforeEach } from "vitest";
import { reapChildren } from "../helpers/children.js";
import { keepDatabasesForInspection } from "../helpers/db.js";

beforeEach(({ onTestFailed, task }) => {
  onTestFailed(() => void keepDatabasesForInspection(task.name));
});

afterEach(async () => {
  const left = await reapChildren();
  if (left.length > 0) {
    throw new Error(`the test left ${left.length} process(es) running (now killed): ${left.join(", ")}; stop them in the test and await their exit`);
  }
});
