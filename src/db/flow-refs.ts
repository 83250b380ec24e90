// Issue 24: `status` names flows by name and the first 8 characters of their id, and `--flow` only
// took whole ids. Now a `--flow` value may be any unique start of a flow id this database knows; one
// that matches none or several exits 2 naming the candidates.
import { sql } from "drizzle-orm";
import { CommandError } from "../errors.js";
import { isUuid } from "../uuid.js";
import type { SqlRunner } from "./database.js";

const SHOWN = 5;

interface KnownFlow {
  id: string;
  name: string | null;
}

/** Flows in sync_state or approval_flows whose id starts with `prefix` (hex and dashes only: no LIKE escapes needed). */
async function flowsStartingWith(db: SqlRunner, prefix: string): Promise<KnownFlow[]> {
  return db.rows<KnownFlow>(sql`
    select k.id::text as id, f.name
    from (select flow_id as id from bird.sync_state union select id from bird.approval_flows) k
    left join bird.approval_flows f on f.id = k.id
    where k.id::text like ${`${prefix.toLowerCase()}%`}
    order by k.id
    limit ${SHOWN + 1}`);
}

const label = (f: KnownFlow) => (f.name ? `${f.id} (${f.name})` : f.id);

export interface ResolveOptions {
  /** A whole id must be a known flow too (reset); otherwise it passes as given (sync adds new flows). */
  mustExist: boolean;
  /** Where the database is, for the messages. */
  location?: string;
}

/** The flow ids the `--flow` values mean, in order, each once; throws CommandError (exit 2) for none or several. */
export async function resolveFlowRefs(db: SqlRunner, command: string, refs: readonly string[], opts: ResolveOptions): Promise<string[]> {
  const where = opts.location ? ` in ${opts.location}` : "";
  const ids: string[] = [];
  for (const ref of refs) {
    const id = ref.toLowerCase();
    if (isUuid(id) && !opts.mustExist) {
      ids.push(id);
      continue;
    }
    const matches = await flowsStartingWith(db, id);
    if (matches.length === 0) {
      throw new CommandError(command, `no flow ${isUuid(id) ? id : `starts with ${ref}`}${where} (see approvals-sync status)`);
    }
    if (matches.length > 1) {
      const shown = matches.slice(0, SHOWN).map(label).join(", ");
      const more = matches.length > SHOWN ? ", …" : "";
      throw new CommandError(command, `--flow ${ref} is ambiguous: it starts ${shown}${more}; give more of the id`);
    }
    ids.push(matches[0]!.id);
  }
  return [...new Set(ids)];
}

/** Which of these flow ids the database knows (sync state, flow row or runs): what a sync of them would be adding. */
export async function knownFlowIds(db: SqlRunner, ids: readonly string[]): Promise<Set<string>> {
  const rows = await db.rows<{ id: string }>(sql`
    select x.id::text as id from jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb) as x(id)
    where exists (select 1 from bird.sync_state s where s.flow_id = x.id::uuid)
       or exists (select 1 from bird.approval_flows f where f.id = x.id::uuid)
       or exists (select 1 from bird.approval_runs r where r.approval_flow_id = x.id::uuid)`);
  return new Set(rows.map((r) => r.id.toLowerCase()));
}
