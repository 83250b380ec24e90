// The one uuid pattern: config (BIRD_APPROVAL_IDS), flags (--flow) and the run payload schema check ids
// with it. Bird ids are uuid-shaped; PostgreSQL accepts any 8-4-4-4-12 hex, so no RFC variant is required.
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isUuid = (text: string): boolean => UUID_PATTERN.test(text);

/**
 * How an organization id is stored and compared in the database (sync_state, request_budget): a uuid
 * in lower case, so `ABC…` in one process's BIRD_ORGANIZATION_ID and `abc…` in another's are one
 * organization; anything else as written.
 */
export const organizationKey = (id: string): string => (isUuid(id.trim()) ? id.trim().toLowerCase() : id.trim());
