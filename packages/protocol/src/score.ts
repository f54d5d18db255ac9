import { ValidationError } from "@flock/core";

/** Which way a task's metric improves: BPC, loss and RMSE are lower-is-better; accuracy higher-is-better. */
export type ScoreDirection = "lower-is-better" | "higher-is-better";

/** The Arena's task types (SPEC §2.1). */
export type ArenaTaskType = "lm-lora" | "lm-full" | "classifier" | "regressor";

/**
 * Which way a task type's scored metric improves (SPEC §2.1): bits per byte for language tasks, a
 * classifier's log-loss on the hidden set (nats; its accuracy is evidence, not the score) and a regressor's
 * RMSE all fall, so every Arena task type ranks lower-is-better.
 */
export function scoreDirectionOf(taskType: ArenaTaskType): ScoreDirection {
  switch (taskType) {
    case "lm-lora":
    case "lm-full":
    case "classifier":
    case "regressor":
      return "lower-is-better";
    default:
      throw new ValidationError(
        "TASK_TYPE_UNKNOWN",
        `task type ${JSON.stringify(taskType satisfies never)} is unknown`,
        {
          hint: "use one of lm-lora, lm-full, classifier, regressor",
        },
      );
  }
}

/** Scores are metric values in fixed point: 1e18 = 1.0 (e.g. BPC 1.25 → 1250000000000000000n). */
export const SCORE_DECIMALS = 18;

const NUMBER_TEXT = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/;

/**
 * Convert a float metric to a fixed-point score deterministically: take the number's shortest
 * round-trip decimal string (the same on every machine), then round to 18 decimals, half away from zero.
 * NaN and ±Infinity are rejected: an unscorable submission is left out of a validator's scores.
 * @example scoreFromMetric(1.25) // 1250000000000000000n
 */
export function scoreFromMetric(metric: number): bigint {
  if (typeof metric !== "number" || !Number.isFinite(metric)) {
    throw new ValidationError("METRIC_NOT_FINITE", `metric ${String(metric)} is not a finite number`, {
      hint: "a NaN or infinite metric cannot be a score; leave that submission out (it earns nothing)",
    });
  }
  const match = NUMBER_TEXT.exec(String(metric));
  if (!match) {
    throw new ValidationError("METRIC_MALFORMED", `metric ${String(metric)} has an unexpected decimal form`, {
      hint: "pass a plain finite number",
    });
  }
  const negative = match[1] === "-";
  const fraction = match[3] ?? "";
  const digits = BigInt(`${match[2]}${fraction}`);
  // value = digits · 10^(exponent − |fraction|); scaled by 10^18.
  const shift = Number(match[4] ?? "0") - fraction.length + SCORE_DECIMALS;
  let magnitude: bigint;
  if (shift >= 0) {
    magnitude = digits * 10n ** BigInt(shift);
  } else {
    const divisor = 10n ** BigInt(-shift);
    magnitude = digits / divisor;
    if ((digits % divisor) * 2n >= divisor) magnitude += 1n;
  }
  return negative ? -magnitude : magnitude;
}

/** True when score `a` is strictly better than `b` in the given direction. */
export function isBetter(a: bigint, b: bigint, direction: ScoreDirection): boolean {
  switch (direction) {
    case "lower-is-better":
      return a < b;
    case "higher-is-better":
      return a > b;
    default:
      return direction satisfies never;
  }
}

/** Throw unless `value` is one of the two directions. */
export function readDirection(value: unknown, name = "direction"): ScoreDirection {
  if (value === "lower-is-better" || value === "higher-is-better") return value;
  throw new ValidationError(
    "DIRECTION_INVALID",
    `${name} ${JSON.stringify(value)} is not a score direction`,
    {
      hint: 'use "lower-is-better" (BPC, loss, RMSE) or "higher-is-better" (accuracy)',
    },
  );
}
