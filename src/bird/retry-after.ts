/** Retry-After is delta-seconds or an HTTP date (RFC 9110 §10.2.3); returns milliseconds to wait. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.ceil(Number(text) * 1000);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  // An HTTP date has whole-second precision (a server may have truncated its instant): wait until
  // the end of that second has surely passed.
  return Math.max(0, at + 1000 - now);
}
