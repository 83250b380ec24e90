// The one uuid pattern: config (BIRD_APPROVAL_IDS), flags (--flow) and the run payload schema check ids
// with it. Bird ids are uuid-shaped; PostgreSQL accepts any 8-4-4-4-12 hex, so no RFC variant is required.
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isUuid = (text: string): boolean => UUID_PATTERN.test(text);

const TEMPLATE = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
/** The shortest start of a flow id `--flow` takes: `status` shows eight characters. */
export const MIN_ID_PREFIX = 4;

/** The start of a uuid, dashes where a uuid has them (`0b6c2f9e`, `0b6c2f9e-5a1d`), or a whole one. */
export const isUuidPrefix = (text: string): boolean =>
  text.length >= MIN_ID_PREFIX &&
  text.length <= TEMPLATE.length &&
  [...text].every((ch, i) => (TEMPLATE[i] === "-" ? ch === "-" : /[0-9a-f]/i.test(ch)));

/** One entry per uuid, whatever its letter case; the first spelling is kept. */
export function uniqueIds(ids: readonly string[]): string[] {
  const byUuid = new Map<string, string>();
  for (const id of ids) if (!byUuid.has(id.toLowerCase())) byUuid.set(id.toLowerCase(), id);
  return [...byUuid.values()];
}

/**
 * How an organization id is stored and compared in the database (sync_state, request_budget): a uuid
 * in lower case, so `ABC…` in one process's BIRD_ORGANIZATION_ID and `abc…` in another's are one
 * organization; anything else as written.
 */
export const organizationKey = (id: string): string => (isUuid(id.trim()) ? id.trim().toLowerCase() : id.trim());
