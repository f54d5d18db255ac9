/**
 * The caller's `file:line` for a node being built: the first stack frame outside the engine's graph and
 * autodiff machinery, so an ONNX Runtime error on node `MatMul_17` can say "made by attention.ts:42".
 */
export function captureSource(): string {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 30;
  const stack = new Error().stack?.split("\n").slice(1) ?? [];
  Error.stackTraceLimit = limit;
  for (const frame of stack) {
    if (/[/\\]graph[/\\][^/\\]+\.ts/.test(frame) || frame.includes("node:internal")) continue;
    const match = /([^/\\(\s]+\.[cm]?[tj]s):(\d+):\d+\)?\s*$/.exec(frame);
    if (match) return `${match[1]}:${match[2]}`;
  }
  return "unknown";
}
