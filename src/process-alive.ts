/**
 * Whether a process with this pid exists on this host. EPERM means it exists but belongs to someone
 * else; only ESRCH proves it gone, so any other answer counts as alive (never steal from the living).
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== "ESRCH";
  }
}
