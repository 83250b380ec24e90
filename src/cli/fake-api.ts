// `approvals-sync fake-api`
import { type Command, Option } from "commander";
import { type Run, intArg } from "./common.js";

interface FakeApiFlags {
  port: number;
  host: string;
  flows: number;
  runs: number;
  seed: number;
  order: "asc" | "desc";
  ignoreReverse?: boolean;
  faults?: string;
}

export function registerFakeApi(program: Command, run: Run): void {
  program
    .command("fake-api")
    .description("run the built-in fake Bird API (try the tool without Bird credentials)")
    .option("--port <n>", "port (0 = any free port)", intArg(0, 65_535), 4010)
    .option("--host <address>", "address to listen on (0.0.0.0 to serve other containers)", "127.0.0.1")
    .option("--flows <n>", "number of approval flows", intArg(1, 1000), 3)
    .option("--runs <n>", "runs per flow", intArg(0, 10_000_000), 1050)
    .option("--seed <n>", "data seed", intArg(0, 2 ** 31), 1)
    .addOption(new Option("--order <order>", "default list order").choices(["asc", "desc"]).default("asc"))
    .option("--ignore-reverse", "serve reverse=true like reverse=false (an API that ignores it; try `check` on it)")
    .option("--faults <json>", 'fault injection, e.g. \'{"rate429":0.05,"rate5xx":0.1}\'')
    .addHelpText("after", "\nExample:\n  approvals-sync fake-api --port 4010 --flows 3 --runs 1000")
    .action(
      run(async (opts: FakeApiFlags) => {
        const { runFakeApiCommand } = await import("../fake/command.js");
        const { faults, ...rest } = opts;
        await runFakeApiCommand({ ...rest, ...(faults ? { faults } : {}) });
      }),
    );
}
