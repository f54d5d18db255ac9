/**
 * The phases of an FL round (SPEC §2.2): proposers train for `roundSeconds`; voters then commit their votes
 * within half as long and reveal them within half as long again. A round takes at most twice `roundSeconds`.
 */
export function flPhases(roundSeconds: number): {
  trainMs: number;
  commitMs: number;
  revealMs: number;
  roundMs: number;
} {
  const trainMs = roundSeconds * 1000;
  const commitMs = Math.ceil(trainMs / 2);
  const revealMs = trainMs - commitMs;
  return {
    trainMs,
    commitMs,
    revealMs: Math.max(revealMs, 1000),
    roundMs: trainMs + commitMs + Math.max(revealMs, 1000),
  };
}
