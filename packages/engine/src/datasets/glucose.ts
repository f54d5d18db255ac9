import { ValidationError } from "@flock/core";
import { createRng, mixSeed, type Rng } from "../data/random.ts";

/**
 * Generated continuous-glucose-monitor (CGM) series for a blood-glucose forecasting regressor: a documented
 * physiological toy model of people with type 1 diabetes (meals, insulin boluses, per-patient variation,
 * sensor noise), simulated minute by minute and read every few minutes like a CGM, then cut into windows
 * (last hour of readings + context → the reading `horizon` minutes ahead), split by patient.
 *
 * Model, per minute t (mg/dL):
 *   dG/dt = −(G − B(t)) / τ_r  +  CSF · Σ_meals g · Ra(t − t_m)  −  ISF · Σ_boluses u · Ia(t − t_b)
 *   B(t)  = basal level + dawn amplitude · cos(2π (minute of day − dawn peak) / 1440)
 *   reading = clamp(G + drift + sensor noise, 40, 400) every `sampleEveryMinutes`
 * - The first term is the glucose effectiveness S_G = 1/τ_r of Bergman's minimal model (Bergman, Phillips &
 *   Cobelli 1981), pulling glucose back toward the patient's basal level (liver output balanced by basal
 *   insulin); τ_r is kept long (4–8 h) as in type 1 diabetes.
 * - Meal absorption Ra(t) = t · e^(−t/t_max) / t_max², the gut absorption curve of Hovorka et al. 2004
 *   ("Nonlinear model predictive control of glucose concentration in subjects with type 1 diabetes"),
 *   t_max 30–60 min; its effect per gram is the carb sensitivity CSF = ISF / ICR (mg/dL per g), the bolus
 *   calculator relation used by OpenAPS (oref0) and Loop, with ISF ≈ 1800 / TDD and ICR ≈ 500 / TDD.
 * - Insulin action Ia(t) = (S/τ²) · t · (1 − t/T) · e^(−t/τ) for 0 ≤ t < T, with τ = p(1 − p/T)/(1 − 2p/T),
 *   a = 2τ/T, S = 1/(1 − a + (1 + a) e^(−T/τ)): the exponential insulin curve by Dragan Maksimovic used by
 *   oref0 (`lib/iob/calculate.js`) and Loop, with peak p 55–75 min and duration T = 300 min (rapid-acting).
 * - Behaviour: three meals a day at per-patient habitual times (± jitter, breakfast sometimes skipped), an
 *   afternoon snack on half the days; each meal bolus is carbs / ICR scaled by a log-normal error, sometimes
 *   late, sometimes forgotten. Closed loop on the patient's side, reacting to the CGM reading: above a
 *   per-patient threshold with no bolus for 3 h, a cautious correction 0.7 · (reading − 130) / ISF is given
 *   (a quarter of the readings that qualify); below 70 mg/dL 15 g of fast carbs are eaten ("rule of 15"),
 *   at most every 30 min.
 * - Drift: an Ornstein–Uhlenbeck term (τ 60 min, sd 8–15 mg/dL) for everything the model leaves out
 *   (exercise, stress, illness). Sensor noise: Gaussian, sd = patient scale × (2 + 4% of glucose); readings
 *   are clamped to 40–400 mg/dL like a CGM's reporting range.
 * All of it is a toy for testing learning code, not a medical simulator.
 */

const MINUTES_PER_DAY = 1440;
/** A CGM's reporting range (mg/dL): readings outside are shown as LOW / HIGH. */
export const GLUCOSE_MIN = 40;
export const GLUCOSE_MAX = 400;
/** Duration of insulin action (minutes) for the exponential curve. */
const INSULIN_DURATION = 300;

/** One patient's physiology and habits (drawn per patient from the seed). */
export interface GlucosePatientParams {
  /** Level glucose returns to without meals or boluses (mg/dL). */
  basal: number;
  /** Return time constant τ_r (minutes): 1 / glucose effectiveness. */
  reversionMinutes: number;
  /** Insulin sensitivity factor: mg/dL lowered per unit of insulin. */
  isf: number;
  /** Insulin-to-carb ratio: grams covered by one unit. */
  icr: number;
  /** Time of peak insulin action (minutes). */
  insulinPeakMinutes: number;
  /** Time of peak carbohydrate absorption t_max (minutes). */
  carbPeakMinutes: number;
  /** Amplitude of the dawn phenomenon (mg/dL) and the minute of day of its peak. */
  dawnAmplitude: number;
  dawnPeakMinute: number;
  /** Habitual meal times (minute of day) and sizes (grams): breakfast, lunch, dinner, snack. */
  mealMinutes: [number, number, number, number];
  mealCarbs: [number, number, number, number];
  /** Standard deviation of the log of the bolus-to-need ratio, and the chance a meal bolus is forgotten. */
  bolusErrorSd: number;
  missedBolusRate: number;
  /** Glucose above which a correction bolus is given (mg/dL; Infinity: never). */
  correctionThreshold: number;
  /** Glucose below which fast carbs are eaten (mg/dL; −Infinity: never). */
  rescueThreshold: number;
  /** Standard deviation of the slow drift (mg/dL). */
  driftSd: number;
  /** Scale of the sensor noise (1 = sd 2 + 4% of glucose). */
  sensorNoiseScale: number;
}

/** A meal (grams of carbohydrate) or an insulin bolus (units), at a minute since the series started. */
export interface GlucoseEvent {
  minute: number;
  amount: number;
  kind: "meal" | "snack" | "rescue" | "mealBolus" | "correction";
}

/** One patient's simulated series. */
export interface GlucosePatient {
  id: number;
  params: GlucosePatientParams;
  /** CGM readings (mg/dL) every `sampleEveryMinutes`, from minute 0 (midnight of day 0). */
  readings: Float32Array;
  /** The model's glucose at the same instants, before drift and sensor noise. */
  modelGlucose: Float32Array;
  /** Carbohydrate intake (meal, snack, rescue), in time order. */
  meals: GlucoseEvent[];
  /** Insulin boluses (mealBolus, correction), in time order. */
  boluses: GlucoseEvent[];
}

/** Windowed supervised rows: x is row-major `rows × numFeatures`, y the reading `horizon` minutes ahead. */
export interface GlucoseSplit {
  rows: number;
  x: Float32Array;
  y: Float32Array;
  /** The patient of each row. */
  patient: Int32Array;
  /** The minute of the row's last reading (the forecast is made then). */
  minute: Int32Array;
}

export interface GlucoseDatasetOptions {
  patients: number;
  daysPerPatient: number;
  seed: number;
  horizonMinutes?: number;
  windowMinutes?: number;
  sampleEveryMinutes?: number;
  /** Share of the patients held out as test patients (default 0.25; at least one, at most patients − 1). */
  testFraction?: number;
}

export interface GlucoseDataset {
  patients: GlucosePatient[];
  horizonMinutes: number;
  windowMinutes: number;
  sampleEveryMinutes: number;
  numFeatures: number;
  /** Names of the columns of x, in order. */
  featureNames: string[];
  trainPatients: number[];
  testPatients: number[];
  train: GlucoseSplit;
  test: GlucoseSplit;
  /** The train split partitioned by patient (one entry per train patient, in `trainPatients` order). */
  byPatient: GlucoseSplit[];
}

/** Fraction of a unit bolus used per minute, t minutes after it (oref0's exponential curve, peak p, DIA T). */
export function insulinActivity(t: number, peakMinutes: number, durationMinutes = INSULIN_DURATION): number {
  if (t <= 0 || t >= durationMinutes) return 0;
  const end = durationMinutes;
  const tau = (peakMinutes * (1 - peakMinutes / end)) / (1 - (2 * peakMinutes) / end);
  const a = (2 * tau) / end;
  const s = 1 / (1 - a + (1 + a) * Math.exp(-end / tau));
  return (s / (tau * tau)) * t * (1 - t / end) * Math.exp(-t / tau);
}

/** Fraction of a meal's carbohydrate absorbed per minute, t minutes after it (Hovorka et al. 2004). */
export function carbAbsorption(t: number, peakMinutes: number): number {
  if (t <= 0) return 0;
  return (t / (peakMinutes * peakMinutes)) * Math.exp(-t / peakMinutes);
}

const uniform = (rng: Rng, lo: number, hi: number): number => lo + (hi - lo) * rng.next();

/** Draw one patient's physiology and habits. */
export function drawGlucosePatient(rng: Rng): GlucosePatientParams {
  // Sensitivities follow the pump-therapy rules of thumb ISF ≈ 1800 / TDD and ICR ≈ 500 / TDD (Walsh &
  // Roberts, "Pumping Insulin"), each off by a patient-specific factor, so CSF = ISF / ICR stays near 3.6.
  const totalDailyDose = uniform(rng, 25, 60);
  const isf = (1800 / totalDailyDose) * Math.exp(0.12 * rng.nextNormal());
  const icr = (500 / totalDailyDose) * Math.exp(0.12 * rng.nextNormal());
  return {
    basal: uniform(rng, 95, 145),
    reversionMinutes: uniform(rng, 240, 480),
    isf,
    icr,
    insulinPeakMinutes: uniform(rng, 55, 75),
    carbPeakMinutes: uniform(rng, 30, 60),
    dawnAmplitude: uniform(rng, 5, 20),
    dawnPeakMinute: uniform(rng, 300, 480),
    mealMinutes: [
      uniform(rng, 390, 510),
      uniform(rng, 690, 810),
      uniform(rng, 1080, 1230),
      uniform(rng, 870, 990),
    ],
    mealCarbs: [uniform(rng, 25, 60), uniform(rng, 40, 80), uniform(rng, 45, 95), uniform(rng, 10, 30)],
    bolusErrorSd: uniform(rng, 0.1, 0.35),
    missedBolusRate: uniform(rng, 0, 0.1),
    correctionThreshold: uniform(rng, 200, 260),
    rescueThreshold: 70,
    driftSd: uniform(rng, 8, 15),
    sensorNoiseScale: uniform(rng, 0.7, 1.3),
  };
}

/** Plan the meals and meal boluses of `days` days from a patient's habits. */
export function planGlucoseDays(params: GlucosePatientParams, days: number, rng: Rng): GlucoseEvent[] {
  const events: GlucoseEvent[] = [];
  for (let day = 0; day < days; day++) {
    for (let m = 0; m < 4; m++) {
      const snack = m === 3;
      if (snack ? rng.next() < 0.5 : m === 0 && rng.next() < 0.1) continue;
      const minute = Math.round(day * MINUTES_PER_DAY + params.mealMinutes[m]! + 40 * rng.nextNormal());
      const carbs = Math.round(params.mealCarbs[m]! * Math.exp(0.25 * rng.nextNormal()));
      events.push({ minute: Math.max(0, minute), amount: carbs, kind: snack ? "snack" : "meal" });
      if (rng.next() < params.missedBolusRate) continue;
      const units = (carbs / params.icr) * Math.exp(params.bolusErrorSd * rng.nextNormal());
      // Usually with the meal; one in five late by up to 45 minutes.
      const delay = rng.next() < 0.2 ? rng.nextInt(46) : 0;
      events.push({ minute: Math.max(0, minute + delay), amount: round2(units), kind: "mealBolus" });
    }
  }
  return events.sort((a, b) => a.minute - b.minute);
}

const round2 = (x: number): number => Math.round(x * 100) / 100;
const isCarb = (e: GlucoseEvent): boolean => e.kind === "meal" || e.kind === "snack" || e.kind === "rescue";

/** Streams of one patient's randomness, separate so a change to one (e.g. an added meal) leaves the others. */
export interface GlucoseNoise {
  /** Drift and the patient's own decisions (corrections, rescue carbs). */
  body: Rng;
  /** CGM sensor noise. */
  sensor: Rng;
}

/**
 * Simulate one patient minute by minute (forward Euler, dt = 1 min) over `days` days from planned events,
 * adding the patient's corrections and rescue carbs as they happen. Returns readings every
 * `sampleEveryMinutes` and every event that took place.
 */
export function simulateGlucose(
  id: number,
  params: GlucosePatientParams,
  plan: readonly GlucoseEvent[],
  days: number,
  sampleEveryMinutes: number,
  noise: GlucoseNoise,
): GlucosePatient {
  const totalMinutes = days * MINUTES_PER_DAY;
  const samples = Math.floor(totalMinutes / sampleEveryMinutes);
  const readings = new Float32Array(samples);
  const modelGlucose = new Float32Array(samples);
  const happened: GlucoseEvent[] = [];
  let active: GlucoseEvent[] = [];
  const csf = params.isf / params.icr;
  const driftDecay = Math.exp(-1 / 60);
  const driftStep = params.driftSd * Math.sqrt(1 - driftDecay * driftDecay);
  let drift = params.driftSd * noise.body.nextNormal();
  let g = params.basal;
  let next = 0;
  let lastBolus = Number.NEGATIVE_INFINITY;
  let lastRescue = Number.NEGATIVE_INFINITY;
  for (let t = 0; t < totalMinutes; t++) {
    while (next < plan.length && plan[next]!.minute <= t) {
      const e = plan[next++]!;
      active.push(e);
      happened.push(e);
      if (!isCarb(e)) lastBolus = e.minute;
    }
    const seen = g + drift;
    if (t % sampleEveryMinutes === 0) {
      const i = t / sampleEveryMinutes;
      const sd = params.sensorNoiseScale * (2 + 0.04 * seen);
      readings[i] = clamp(seen + sd * noise.sensor.nextNormal(), GLUCOSE_MIN, GLUCOSE_MAX);
      modelGlucose[i] = g;
      // The patient reacts to what the sensor shows, checked at each reading.
      const shown = readings[i]!;
      if (shown > params.correctionThreshold && t - lastBolus >= 180 && noise.body.next() < 0.25) {
        const units = round2(0.7 * ((shown - 130) / params.isf) * Math.exp(0.15 * noise.body.nextNormal()));
        const e: GlucoseEvent = { minute: t, amount: units, kind: "correction" };
        active.push(e);
        happened.push(e);
        lastBolus = t;
      } else if (shown < params.rescueThreshold && t - lastRescue >= 30) {
        const e: GlucoseEvent = { minute: t, amount: 15, kind: "rescue" };
        active.push(e);
        happened.push(e);
        lastRescue = t;
      }
    }
    // Rates at the middle of the minute.
    let carbRate = 0;
    let insulinRate = 0;
    for (const e of active) {
      const age = t - e.minute + 0.5;
      if (isCarb(e)) carbRate += e.amount * carbAbsorption(age, params.carbPeakMinutes);
      else insulinRate += e.amount * insulinActivity(age, params.insulinPeakMinutes);
    }
    const dawn =
      params.dawnAmplitude *
      Math.cos((2 * Math.PI * ((t % MINUTES_PER_DAY) - params.dawnPeakMinute)) / MINUTES_PER_DAY);
    g += -(g - params.basal - dawn) / params.reversionMinutes + csf * carbRate - params.isf * insulinRate;
    g = Math.max(g, 20);
    drift = drift * driftDecay + driftStep * noise.body.nextNormal();
    if (t % 60 === 0) {
      // Carbs are absorbed to > 99.9% after 12 t_max; insulin acts for its duration.
      active = active.filter((e) =>
        isCarb(e) ? t - e.minute < 12 * params.carbPeakMinutes : t - e.minute < INSULIN_DURATION,
      );
    }
  }
  return {
    id,
    params,
    readings,
    modelGlucose,
    meals: happened.filter(isCarb),
    boluses: happened.filter((e) => !isCarb(e)),
  };
}

const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));

function checkWhole(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new ValidationError("GLUCOSE_INVALID_OPTION", `${name} ${value} is not a whole number ≥ ${min}`, {
      hint: `pass ${name} as an integer ≥ ${min}`,
    });
  }
}

/** The names of the feature columns for a window of `readings` readings. */
export function glucoseFeatureNames(readings: number, sampleEveryMinutes: number): string[] {
  const names: string[] = [];
  for (let k = readings - 1; k >= 0; k--) names.push(`glucose_t-${k * sampleEveryMinutes}`);
  return [
    ...names,
    "time_of_day_sin",
    "time_of_day_cos",
    "carbs_last_60min",
    "carbs_60_to_180min_ago",
    "insulin_last_60min",
    "insulin_60_to_180min_ago",
  ];
}

/** Sum of event amounts with minute in (now − to, now − from]. */
function amountBetween(events: readonly GlucoseEvent[], now: number, from: number, to: number): number {
  let sum = 0;
  for (const e of events) {
    const age = now - e.minute;
    if (age >= from && age < to) sum += e.amount;
  }
  return sum;
}

/** Cut one patient's series into windows: the last readings + time of day + recent carbs and insulin. */
function windowsOf(
  patient: GlucosePatient,
  windowReadings: number,
  horizonReadings: number,
  sampleEveryMinutes: number,
  numFeatures: number,
): GlucoseSplit {
  const n = patient.readings.length;
  const first = windowReadings - 1;
  const rows = Math.max(0, n - horizonReadings - first);
  const x = new Float32Array(rows * numFeatures);
  const y = new Float32Array(rows);
  const minute = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    const i = first + r;
    const now = i * sampleEveryMinutes;
    const row = x.subarray(r * numFeatures, (r + 1) * numFeatures);
    for (let k = 0; k < windowReadings; k++) row[k] = patient.readings[i - windowReadings + 1 + k]!;
    const angle = (2 * Math.PI * (now % MINUTES_PER_DAY)) / MINUTES_PER_DAY;
    row[windowReadings] = Math.sin(angle);
    row[windowReadings + 1] = Math.cos(angle);
    row[windowReadings + 2] = amountBetween(patient.meals, now, 0, 60);
    row[windowReadings + 3] = amountBetween(patient.meals, now, 60, 180);
    row[windowReadings + 4] = amountBetween(patient.boluses, now, 0, 60);
    row[windowReadings + 5] = amountBetween(patient.boluses, now, 60, 180);
    y[r] = patient.readings[i + horizonReadings]!;
    minute[r] = now;
  }
  return { rows, x, y, patient: new Int32Array(rows).fill(patient.id), minute };
}

/** Concatenate splits of the same width. */
function concatSplits(splits: readonly GlucoseSplit[], numFeatures: number): GlucoseSplit {
  const rows = splits.reduce((s, p) => s + p.rows, 0);
  const out: GlucoseSplit = {
    rows,
    x: new Float32Array(rows * numFeatures),
    y: new Float32Array(rows),
    patient: new Int32Array(rows),
    minute: new Int32Array(rows),
  };
  let at = 0;
  for (const s of splits) {
    out.x.set(s.x, at * numFeatures);
    out.y.set(s.y, at);
    out.patient.set(s.patient, at);
    out.minute.set(s.minute, at);
    at += s.rows;
  }
  return out;
}

/**
 * Generate `patients` CGM series of `daysPerPatient` days each and the windowed forecasting task: features
 * are the last `windowMinutes / sampleEveryMinutes` readings (oldest first), the time of day as sin/cos, and
 * the grams of carbs and units of insulin taken in the last hour and 1–3 hours ago; the target is the
 * reading `horizonMinutes` ahead. Patients are independent draws; the last ⌈testFraction · patients⌉ are test
 * patients, and `byPatient` partitions the train split for a federation (one node per patient).
 */
export function generateGlucoseDataset(options: GlucoseDatasetOptions): GlucoseDataset {
  const horizonMinutes = options.horizonMinutes ?? 30;
  const windowMinutes = options.windowMinutes ?? 60;
  const sampleEveryMinutes = options.sampleEveryMinutes ?? 5;
  const testFraction = options.testFraction ?? 0.25;
  checkWhole("patients", options.patients, 2);
  checkWhole("daysPerPatient", options.daysPerPatient, 1);
  checkWhole("sampleEveryMinutes", sampleEveryMinutes, 1);
  checkWhole("horizonMinutes", horizonMinutes, 1);
  checkWhole("windowMinutes", windowMinutes, 1);
  if (horizonMinutes % sampleEveryMinutes !== 0 || windowMinutes % sampleEveryMinutes !== 0) {
    throw new ValidationError(
      "GLUCOSE_INVALID_OPTION",
      `horizonMinutes ${horizonMinutes} and windowMinutes ${windowMinutes} must be multiples of sampleEveryMinutes ${sampleEveryMinutes}`,
      {
        hint: "use a window and a horizon made of whole sampling intervals, e.g. 60 and 30 with readings every 5",
      },
    );
  }
  if (!(testFraction > 0 && testFraction < 1)) {
    throw new ValidationError("GLUCOSE_INVALID_OPTION", `testFraction ${testFraction} must be in (0, 1)`, {
      hint: "hold out a share of the patients, e.g. 0.25",
    });
  }
  const windowReadings = windowMinutes / sampleEveryMinutes;
  const horizonReadings = horizonMinutes / sampleEveryMinutes;
  const samplesPerPatient = Math.floor((options.daysPerPatient * MINUTES_PER_DAY) / sampleEveryMinutes);
  if (samplesPerPatient < windowReadings + horizonReadings) {
    throw new ValidationError(
      "GLUCOSE_INVALID_OPTION",
      "the series is shorter than one window plus the horizon",
      {
        hint: "generate more days or use a shorter window",
      },
    );
  }
  const featureNames = glucoseFeatureNames(windowReadings, sampleEveryMinutes);
  const numFeatures = featureNames.length;

  const patients: GlucosePatient[] = [];
  for (let id = 0; id < options.patients; id++) {
    const params = drawGlucosePatient(createRng(mixSeed(options.seed, id, 1)));
    const plan = planGlucoseDays(params, options.daysPerPatient, createRng(mixSeed(options.seed, id, 2)));
    const noise = {
      body: createRng(mixSeed(options.seed, id, 3)),
      sensor: createRng(mixSeed(options.seed, id, 4)),
    };
    patients.push(simulateGlucose(id, params, plan, options.daysPerPatient, sampleEveryMinutes, noise));
  }
  const testCount = Math.min(options.patients - 1, Math.max(1, Math.ceil(testFraction * options.patients)));
  const trainPatients = patients.slice(0, options.patients - testCount).map((p) => p.id);
  const testPatients = patients.slice(options.patients - testCount).map((p) => p.id);
  const windows = patients.map((p) =>
    windowsOf(p, windowReadings, horizonReadings, sampleEveryMinutes, numFeatures),
  );
  const byPatient = trainPatients.map((id) => windows[id]!);
  return {
    patients,
    horizonMinutes,
    windowMinutes,
    sampleEveryMinutes,
    numFeatures,
    featureNames,
    trainPatients,
    testPatients,
    train: concatSplits(byPatient, numFeatures),
    test: concatSplits(
      testPatients.map((id) => windows[id]!),
      numFeatures,
    ),
    byPatient,
  };
}
