// Issue 15 (3): a misspelled setting (DATABASE_ULR) must not pass in silence. Variables carrying one of
// our prefixes that no setting has are reported with the closest known name.

/** Prefixes of our settings: a variable with one of them is meant for us. */
const OUR_PREFIXES = ["BIRD_", "SYNC_", "DATABASE_", "PGLITE_", "METRICS_", "HTTP_", "LOG_", "STATUS_"] as const;

// Other programs' conventions that share a prefix with ours; not typos of our settings.
const FOREIGN = new Set(["HTTP_PROXY", "HTTP_PROXY_USER", "HTTP_PROXY_PASS"]);

export interface UnknownVariable {
  name: string;
  source: "environment" | ".env";
  /** The closest known setting, when one is close enough to be a likely typo. */
  suggestion: string | undefined;
}

export function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** The known name closest to `name`, if within a typo's distance (a third of the name, at least 2). */
export function closestName(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const k of known) {
    const d = levenshtein(name, k);
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

/**
 * Settings that decide where the data comes from or goes to (issue 24). A misspelling of one while the
 * setting itself is unset sends the run somewhere else in silence — `DATABASE_ULR` in .env synced into
 * ./.data/pglite and exited 0 — so it stops the run instead of being warned about.
 */
const DESTINATION_SETTINGS: Readonly<Record<string, string>> = {
  DATABASE_URL: "use the embedded database (PGLITE_DIR) instead of your PostgreSQL",
  PGLITE_DIR: "keep the embedded database in the default ./.data/pglite",
  BIRD_API_URL: "talk to the default https://api.bird.com",
  BIRD_ORGANIZATION_ID: "run without an organization",
  BIRD_APPROVAL_IDS: "sync every flow Bird lists instead of the ones you named",
};

/**
 * A prefix only one destination setting has: any other variable with it (DATABASE_URI, DATABASE_HOST,
 * PGLITE_PATH) can only have meant that setting, however far its spelling is.
 */
function onlySettingOfPrefix(name: string, known: readonly string[]): string | undefined {
  const prefix = OUR_PREFIXES.find((p) => name.startsWith(p));
  const family = known.filter((k) => prefix !== undefined && k.startsWith(prefix));
  const only = family.length === 1 ? family[0] : undefined;
  return only !== undefined && only in DESTINATION_SETTINGS ? only : undefined;
}

/** The unknown variables that would misdirect this run: they suggest a destination setting that is not set. */
export function misdirectingVariables(unknown: readonly UnknownVariable[], isSet: (name: string) => boolean): UnknownVariable[] {
  return unknown.filter((v) => v.suggestion !== undefined && v.suggestion in DESTINATION_SETTINGS && !isSet(v.suggestion));
}

/** One problem line for a misdirecting variable: what it would do, and the two ways out. */
export function describeMisdirection(v: UnknownVariable): string {
  const setting = v.suggestion as string;
  const where = v.source === ".env" ? "in .env" : "in the environment";
  return `${v.name} ${where} is no setting; did you mean ${setting}? ${setting} is not set, so this run would ${DESTINATION_SETTINGS[setting]}: rename ${v.name} to ${setting}, or remove it`;
}

export function findUnknownVariables(
  known: readonly string[],
  sources: { environment: Record<string, string | undefined>; dotEnv: Record<string, string> },
): UnknownVariable[] {
  const knownSet = new Set(known);
  const out: UnknownVariable[] = [];
  const seen = new Set<string>();
  for (const [source, vars] of [
    [".env", sources.dotEnv],
    ["environment", sources.environment],
  ] as const) {
    for (const name of Object.keys(vars)) {
      if (seen.has(name) || knownSet.has(name) || FOREIGN.has(name) || !OUR_PREFIXES.some((p) => name.startsWith(p))) continue;
      seen.add(name);
      out.push({ name, source, suggestion: closestName(name, known) ?? onlySettingOfPrefix(name, known) });
    }
  }
  return out;
}

/** One line per variable, as the user sees it in the log. */
export function describeUnknownVariable(v: UnknownVariable): string {
  const where = v.source === ".env" ? "in .env" : "in the environment";
  const hint = v.suggestion ? `; did you mean ${v.suggestion}?` : "; approvals-sync --help lists the settings";
  return `unknown setting ${v.name} ${where} is ignored${hint}`;
}
