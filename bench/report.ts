// Plain-text tables for the terminal: aligned columns, thousands separators, pass/fail words.

export type Align = "left" | "right";

export function formatTable(header: string[], rows: string[][], align: Align[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => {
        const w = widths[i] ?? 0;
        // The last column is left free (notes): no trailing padding.
        if (i === cells.length - 1 && align[i] !== "right") return c;
        return align[i] === "right" ? c.padStart(w) : c.padEnd(w);
      })
      .join("  ")
      .trimEnd();
  const rule = widths.map((w) => "─".repeat(w)).join("  ");
  return [line(header), rule, ...rows.map(line)].join("\n");
}

export function int(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

export function fixed(n: number, digits = 2): string {
  return n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function pct(share: number, digits = 0): string {
  return `${(share * 100).toFixed(digits)}%`;
}

export function signedPct(n: number): string {
  return `${n >= 0 ? "+" : ""}${n.toFixed(1)}%`;
}

export function verdict(ok: boolean): string {
  return ok ? "PASS" : "FAIL";
}

export function median(values: number[]): number {
  const v = [...values].sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? (v[mid] as number) : ((v[mid - 1] as number) + (v[mid] as number)) / 2;
}

/**
 * A distribution-free interval for the median of what `values` were drawn from: the k-th smallest and
 * k-th largest value, k the largest for which both tails of Binomial(n, ½) below k hold at most
 * (1 − level) / 2. Nothing is assumed about the noise's shape (this machine's is skewed). Undefined
 * when there are too few values for the level (5 at least for 90%).
 */
export function medianInterval(values: number[], level = 0.9): { low: number; high: number; level: number } | undefined {
  const v = [...values].sort((a, b) => a - b);
  const n = v.length;
  const tail = (1 - level) / 2;
  // P(Binomial(n, ½) ≤ j), accumulated over j.
  let cumulative = 0;
  let k = 0;
  for (let j = 0; j < n; j++) {
    cumulative += binomial(n, j) / 2 ** n;
    if (cumulative > tail) break;
    k = j + 1;
  }
  if (k === 0) return undefined;
  let covered = 0;
  for (let j = k; j <= n - k; j++) covered += binomial(n, j) / 2 ** n;
  return { low: v[k - 1] as number, high: v[n - k] as number, level: covered };
}

function binomial(n: number, k: number): number {
  let c = 1;
  for (let i = 1; i <= k; i++) c = (c * (n - i + 1)) / i;
  return c;
}
