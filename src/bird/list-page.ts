// A list answer (`{results, nextPageToken}`) as the engine reads it: the envelope checked, each
// record's exact text located in the answer (never re-serialized), and "", null or absent read as done.
import { RetryableHttpError } from "../errors.js";
import type { Answer } from "./http.js";
import { RecordTexts } from "./record-texts.js";
import { listPageSchema } from "./schema.js";

export interface RunsPage {
  records: unknown[];
  /** Each record's own text, exactly as the answer carried it (`texts.at(i)` is `records[i]`). */
  texts: RecordTexts;
  /** undefined when this was the last page ("", null or absent all mean done). */
  nextPageToken: string | undefined;
}

/** A list answer's text as the engine reads it (exported for in-process upstreams that serve text). */
export function runsPageFromText(text: string): RunsPage {
  return parseListPage({ status: 200, body: JSON.parse(text), text });
}

export function parseListPage(answer: Answer): RunsPage {
  const parsed = listPageSchema.safeParse(answer.body);
  if (!parsed.success) {
    throw new RetryableHttpError(`unexpected list answer: ${parsed.error.issues[0]?.message ?? "wrong shape"}`, 200);
  }
  const token = parsed.data.nextPageToken;
  const texts = RecordTexts.ofAnswer(answer.text, answer.utf8, "results", parsed.data.results.length);
  return { records: parsed.data.results, texts, nextPageToken: token ? token : undefined };
}
