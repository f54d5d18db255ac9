/** Learning-rate schedule: linear warmup, then cosine decay to `minRatio · peak` at `totalSteps`. */
export interface ScheduleOptions {
  peak: number;
  warmupSteps?: number;
  totalSteps?: number;
  minRatio?: number;
}

/** Learning rate at a 1-based step (Loshchilov & Hutter 2017 cosine, after a linear warmup). */
export function learningRate(step: number, s: ScheduleOptions): number {
  const warmup = s.warmupSteps ?? 0;
  if (warmup > 0 && step <= warmup) return (s.peak * step) / warmup;
  if (s.totalSteps === undefined || s.totalSteps <= warmup) return s.peak;
  const progress = Math.min(1, (step - warmup) / (s.totalSteps - warmup));
  const minRatio = s.minRatio ?? 0.1;
  // lr = peak · (min + (1 − min) · ½(1 + cos(π · progress)))
  return s.peak * (minRatio + ((1 - minRatio) * (1 + Math.cos(Math.PI * progress))) / 2);
}
