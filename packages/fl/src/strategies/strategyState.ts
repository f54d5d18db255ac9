import { ValidationError } from "@flock/core";
import { readSafetensors, writeSafetensors } from "@flock/engine";
import type { Strategy } from "../strategy.ts";

/**
 * What a strategy carries from one round to the next (a server optimizer's momentum and moments), as named
 * float64 vectors in the model's flat layout. Empty before the strategy's first aggregated round.
 */
export interface StrategyState {
  /** The strategy it belongs to (its `name`, e.g. "FedAdam"). */
  readonly strategy: string;
  readonly vectors: Readonly<Record<string, Float64Array>>;
}

/**
 * A strategy whose aggregate depends on earlier rounds. `exportState` after a round and `importState` into a
 * fresh strategy of the same options give the same next aggregate as the strategy that never stopped; this is
 * how a coordinator keeps a server optimizer across restarts, and how it drops a round's aggregate (by not
 * keeping the state that round produced).
 */
export interface StatefulStrategy extends Strategy {
  exportState(): StrategyState;
  importState(state: StrategyState): void;
}

export function isStateful(strategy: Strategy): strategy is StatefulStrategy {
  const s = strategy as Partial<StatefulStrategy>;
  return typeof s.exportState === "function" && typeof s.importState === "function";
}

/**
 * The stateful strategy inside `strategy`, following wrappers' `inner` (SecAgg+ and the DP wrappers wrap the
 * strategy that aggregates), or undefined when no strategy in the chain keeps state.
 */
export function statefulPart(strategy: Strategy): StatefulStrategy | undefined {
  let current: Strategy | undefined = strategy;
  for (let depth = 0; current !== undefined && depth < 8; depth++) {
    if (isStateful(current)) return current;
    current = (current as { inner?: Strategy }).inner;
  }
  return undefined;
}

/** Throws FL_STATE_INVALID unless `state` belongs to `name` and holds exactly `names` (or nothing). */
export function checkState(state: StrategyState, name: string, names: readonly string[]): boolean {
  if (state.strategy !== name) {
    throw new ValidationError("FL_STATE_INVALID", `state of ${state.strategy} given to ${name}`, {
      hint: "import a state exported by the same strategy",
      details: { expected: name, got: state.strategy },
    });
  }
  const keys = Object.keys(state.vectors).sort();
  if (keys.length === 0) return false;
  const lengths = new Set(keys.map((k) => state.vectors[k]!.length));
  if (keys.join() !== [...names].sort().join() || lengths.size !== 1) {
    throw new ValidationError(
      "FL_STATE_INVALID",
      `${name}'s state holds ${keys.join(", ")} of lengths ${[...lengths].join(", ")}; it needs ${names.join(", ")} of one length`,
      { hint: "import a state exported by the same strategy", details: { strategy: name } },
    );
  }
  return true;
}

const STATE_KEY = "flock.strategy.state";

/** A strategy's state as safetensors bytes (float64 vectors, the strategy's name in the metadata). */
export function encodeStrategyState(state: StrategyState): Uint8Array {
  const tensors: Parameters<typeof writeSafetensors>[0] = {};
  for (const [name, data] of Object.entries(state.vectors)) {
    tensors[name] = { dtype: "F64", shape: [data.length], data };
  }
  return writeSafetensors(tensors, { [STATE_KEY]: state.strategy });
}

/** Safetensors bytes written by `encodeStrategyState` back into a state (FL_STATE_INVALID otherwise). */
export function decodeStrategyState(bytes: Uint8Array): StrategyState {
  const file = readSafetensors(bytes);
  const strategy = file.metadata[STATE_KEY];
  if (strategy === undefined) {
    throw new ValidationError("FL_STATE_INVALID", "the file is not a strategy state (no strategy named)", {
      hint: "write strategy states with encodeStrategyState",
    });
  }
  const vectors: Record<string, Float64Array> = {};
  for (const [name, t] of Object.entries(file.tensors)) {
    if (t.dtype !== "F64" || t.shape.length !== 1) {
      throw new ValidationError(
        "FL_STATE_INVALID",
        `state vector ${name} is ${t.dtype} [${t.shape.join(", ")}], not a float64 vector`,
        { hint: "write strategy states with encodeStrategyState" },
      );
    }
    vectors[name] = t.data as Float64Array;
  }
  return { strategy, vectors };
}
