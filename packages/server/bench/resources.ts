// Everything the benchmark starts is stopped in reverse order at the end, also on error or Ctrl-C.
const running: { name: string; stop: () => Promise<void> }[] = [];
/** Register something started; the returned function stops it now. */
export function started(name: string, stop: () => Promise<void>): () => Promise<void> {
  const entry = { name, stop };
  running.push(entry);
  return async () => {
    running.splice(running.indexOf(entry), 1);
    await stop();
  };
}
/** Stop everything still running, newest first. */
export async function stopAll(): Promise<void> {
  while (running.length > 0) {
    const entry = running.pop()!;
    await entry.stop().catch((error: unknown) => console.error(`stopping ${entry.name} failed:`, error));
  }
}
