import { ValidationError } from "@flock/core";
import { generateGlucoseDataset, type TabularModelSpec, type TabularRows } from "@flock/engine";
import { createPartition, type LabelledSplit, loadDataset } from "@flock/fl";

/** The use cases `flock fl shards` writes private CSVs for. */
export const FL_SHARD_DATASETS = ["digits", "breast-cancer", "glucose"] as const;
export type FlShardDataset = (typeof FL_SHARD_DATASETS)[number];

export interface FlShardsOptions {
  dataset: FlShardDataset;
  /** Parties (hospitals, clinics, patients' devices): 2–50. */
  parts: number;
  seed?: number;
}

/** Each party's private train and test rows, and the model spec their columns fit. */
export interface FlShards {
  dataset: FlShardDataset;
  kind: "classifier" | "regressor";
  features: string[];
  label: string;
  /** Classes of a classifier. */
  numClasses?: number;
  parts: { train: TabularRows; test: TabularRows }[];
}

/** Label skew of the hospital-like split: Dirichlet α = 1 over the labels (Hsu et al. 2019). */
const LABEL_ALPHA = 1;
/** Quantity skew: sizes ∝ exp(0.5·z) (lognormal, as Li et al. 2020). */
const SIZE_SIGMA = 0.5;
/** Glucose: days simulated per patient, and the share of each patient's series (its latest) kept for testing. */
const GLUCOSE_DAYS = 7;
const GLUCOSE_TEST_SHARE = 0.2;

function rowsOf(split: LabelledSplit, indices: Int32Array, features: string[], label: string): TabularRows {
  const f = features.length;
  const x = new Float32Array(indices.length * f);
  const y = new Int32Array(indices.length);
  indices.forEach((r, k) => {
    x.set(split.x.subarray(r * f, (r + 1) * f), k * f);
    y[k] = split.y[r]!;
  });
  return { rows: indices.length, numFeatures: f, x, y, features, label };
}

/**
 * Private data for a federation, one command away: the shipped digits or breast-cancer data split over
 * `parts` parties like hospitals (label skew: Dirichlet α = 1; quantity skew: lognormal σ = 0.5; each party's
 * test rows drawn with its own label mix from the held-out split), or generated CGM series, one patient per
 * party (features: the last hour of readings, time of day, recent carbs and insulin; label: glucose 30 min
 * ahead, mg/dL), each patient's first 80% of windows to train and the latest 20% to test.
 */
export function flShards(options: FlShardsOptions): FlShards {
  const { dataset, parts } = options;
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(parts) || parts < 2 || parts > 50) {
    throw new ValidationError("FL_SHARDS_INVALID", `--parts ${parts} is not a whole number in 2–50`, {
      hint: "split the data over 2 to 50 parties",
    });
  }
  if (dataset === "glucose") return glucoseShards(parts, seed);
  if (dataset !== "digits" && dataset !== "breast-cancer") {
    throw new ValidationError("FL_SHARDS_INVALID", `no dataset ${JSON.stringify(dataset)}`, {
      hint: `choose one of ${FL_SHARD_DATASETS.join(", ")}`,
    });
  }
  const data = loadDataset(dataset);
  const features =
    dataset === "digits"
      ? Array.from({ length: 64 }, (_, i) => `pixel_${Math.floor(i / 8)}_${i % 8}`)
      : Array.from({ length: data.numFeatures }, (_, i) => `feature_${i}`);
  const label = dataset === "digits" ? "digit" : "benign";
  const partition = (split: LabelledSplit) =>
    createPartition(split, data.numClasses, {
      numClients: parts,
      labels: { kind: "dirichlet", alpha: LABEL_ALPHA },
      quantity: { kind: "lognormal", sigma: SIZE_SIGMA },
      seed,
    });
  // The same seed gives party i the same label mix in both splits: its test rows look like its own data.
  const train = partition(data.train);
  const test = partition(data.test);
  return {
    dataset,
    kind: "classifier",
    features,
    label,
    numClasses: data.numClasses,
    parts: Array.from({ length: parts }, (_, i) => ({
      train: rowsOf(data.train, train.rowsOf(i), features, label),
      test: rowsOf(data.test, test.rowsOf(i), features, label),
    })),
  };
}

function glucoseShards(parts: number, seed: number): FlShards {
  // One held-out patient is generated too (the generator keeps at least one); each party is one patient.
  const data = generateGlucoseDataset({
    patients: parts + 1,
    daysPerPatient: GLUCOSE_DAYS,
    seed,
    testFraction: 0.5 / (parts + 1),
  });
  const features = data.featureNames;
  const label = `glucose_t+${data.horizonMinutes}`;
  const f = features.length;
  const slice = (split: (typeof data.byPatient)[number], from: number, to: number): TabularRows => ({
    rows: to - from,
    numFeatures: f,
    x: split.x.slice(from * f, to * f),
    y: split.y.slice(from, to),
    features,
    label,
  });
  return {
    dataset: "glucose",
    kind: "regressor",
    features,
    label,
    parts: data.byPatient.slice(0, parts).map((patient) => {
      // Chronological: a party tests on its latest windows, after every window it trained on.
      const cut = Math.round(patient.rows * (1 - GLUCOSE_TEST_SHARE));
      return { train: slice(patient, 0, cut), test: slice(patient, cut, patient.rows) };
    }),
  };
}

/** The spec of a tabular model for shards: their features and label, an MLP with these hidden widths. */
export function shardModelSpec(
  shards: Pick<FlShards, "kind" | "features" | "label" | "numClasses">,
  hidden: number[],
): TabularModelSpec {
  return {
    config: {
      kind: shards.kind,
      numFeatures: shards.features.length,
      hidden,
      ...(shards.kind === "classifier" ? { numClasses: shards.numClasses ?? 2 } : {}),
    },
    features: shards.features,
    label: shards.label,
  };
}
