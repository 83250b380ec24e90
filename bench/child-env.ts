// The environment the bench gives product processes: the caller's, minus every setting the product reads,
// so a developer's exported BIRD_* / SYNC_* / LOG_* (or NODE_OPTIONS) cannot change what is measured.
const PRODUCT_VARS = /^(BIRD_|SYNC_|LOG_|DATABASE_URL$|PGLITE_DIR$|HTTP_TIMEOUT_MS$|METRICS_PORT$|NODE_OPTIONS$|NODE_ENV$)/;

export function productEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!PRODUCT_VARS.test(k) && v !== undefined) env[k] = v;
  }
  return { ...env, ...extra };
}
