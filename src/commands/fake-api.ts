// `approvals-sync fake-api`
import { type Command, Option } from "commander";
import { CommandError } from "../errors.js";
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
  replay?: string;
  replayTiming?: boolean;
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
    .option("--replay <file>", "serve a recording made with --record instead of generated data")
    .option("--replay-timing", "with --replay: keep the recorded latencies, 429s, 5xx and resets")
    .addHelpText(
      "after",
      "\nExamples:\n  approvals-sync fake-api --port 4010 --flows 3 --runs 1000\n  approvals-sync fake-api --port 4010 --replay bird.jsonl.gz",
    )
    .action(
      run(async (opts: FakeApiFlags) => {
        if (opts.replay !== undefined) {
          const { serveReplay } = await import("../fake/serve-replay.js");
          return serveReplay({ file: opts.replay, timing: opts.replayTiming === true, port: opts.port, host: opts.host });
        }
        if (opts.replayTiming) throw new CommandError("fake-api", "--replay-timing needs --replay FILE");
        const { serveFakeApi } = await import("../fake/serve.js");
        const { faults, replay: _replay, replayTiming: _timing, ...rest } = opts;
        await serveFakeApi({ ...rest, ...(faults ? { faults } : {}) });
      }),
    );
}
