// Who may work a flow. A lease in bird.sync_state, renewed per page, expires when its holder dies.
// A holder on this same host whose process is gone (kill -9) is taken over at once instead of after
// the TTL, so a crashed one-shot `sync` can be re-run immediately.
import { hostname } from "node:os";
import type { SqlRunner } from "../db/database.js";
import { claimFlowLease, readLeaseOwner, takeOverFlowLease } from "../db/state.js";
import type { FlowState } from "../model.js";
import { isProcessAlive } from "../process-alive.js";

/** Owner ids are `${hostname}:${pid}:${nonce}` (see processOwnerId). */
export function isDeadLocalOwner(owner: string, host = hostname()): boolean {
  const [ownerHost, pidText] = owner.split(":");
  const pid = Number(pidText);
  if (ownerHost !== host || !Number.isInteger(pid) || pid <= 0) return false;
  return pid !== process.pid && !isProcessAlive(pid);
}

export async function acquireFlowLease(db: SqlRunner, flowId: string, owner: string, ttlMs: number): Promise<FlowState | null> {
  const state = await claimFlowLease(db, flowId, owner, ttlMs);
  if (state) return state;
  const holder = await readLeaseOwner(db, flowId);
  if (holder && isDeadLocalOwner(holder)) return takeOverFlowLease(db, flowId, holder, owner, ttlMs);
  return null;
}
