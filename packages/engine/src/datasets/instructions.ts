import { ValidationError } from "@flock/core";
import { createRng, mixSeed, type Rng, shuffled } from "../data/random.ts";
import type { Conversation } from "../data/sharegpt.ts";

/**
 * A synthetic instruction dataset whose answers a program can check, so fine-tuning and evaluation tasks
 * have real data and a real success measure without downloading anything: arithmetic, unit conversion,
 * date formatting, sorting and lookups from a small table given in the prompt. Replies are short and in
 * one fixed style per kind, so a small model can learn them.
 */

export const INSTRUCTION_KINDS = [
  "arithmetic",
  "unitConversion",
  "dateFormatting",
  "sorting",
  "tableLookup",
] as const;
export type InstructionKind = (typeof INSTRUCTION_KINDS)[number];

export interface InstructionExample {
  /** Stable id: kind and index within the generated set. */
  id: string;
  kind: InstructionKind;
  /** ShareGPT conversation: optional system prompt, the user's task and the reference reply. */
  conversation: Conversation;
  /** The canonical answer `checkAnswer` compares against (a number, a date text, a list or a cell). */
  answer: string;
}

export interface GenerateInstructionOptions {
  seed: number;
  count: number;
  /** Which kinds to draw from, uniformly (default all). */
  kinds?: readonly InstructionKind[];
}

const SYSTEM_PROMPTS = [
  "You are a helpful assistant. Answer briefly.",
  "You are a precise assistant. Reply with the result only.",
  "Answer the question exactly.",
];

interface Task {
  question: string;
  reply: string;
  answer: string;
}

function arithmetic(rng: Rng): Task {
  const op = rng.pick(["+", "-", "*"] as const);
  const a = op === "*" ? 2 + rng.nextInt(18) : rng.nextInt(100);
  const b = op === "*" ? 2 + rng.nextInt(18) : rng.nextInt(100);
  const value = op === "+" ? a + b : op === "-" ? a - b : a * b;
  const word = op === "+" ? "plus" : op === "-" ? "minus" : "times";
  const question = rng.pick([
    `What is ${a} ${op} ${b}?`,
    `Compute ${a} ${op} ${b}.`,
    `What is ${a} ${word} ${b}?`,
    `Calculate ${a} ${word} ${b}.`,
  ]);
  return { question, reply: `${a} ${op} ${b} = ${value}`, answer: String(value) };
}

interface Unit {
  from: string;
  to: string;
  convert: (x: number) => number;
  /** Multiples of this keep results exact and short. */
  step: number;
  max: number;
}

const UNITS: readonly Unit[] = [
  { from: "km", to: "m", convert: (x) => x * 1000, step: 1, max: 50 },
  { from: "m", to: "km", convert: (x) => x / 1000, step: 250, max: 20_000 },
  { from: "m", to: "cm", convert: (x) => x * 100, step: 1, max: 100 },
  { from: "cm", to: "mm", convert: (x) => x * 10, step: 1, max: 200 },
  { from: "kg", to: "g", convert: (x) => x * 1000, step: 1, max: 50 },
  { from: "g", to: "kg", convert: (x) => x / 1000, step: 500, max: 20_000 },
  { from: "hours", to: "minutes", convert: (x) => x * 60, step: 1, max: 48 },
  { from: "minutes", to: "seconds", convert: (x) => x * 60, step: 1, max: 120 },
  { from: "minutes", to: "hours", convert: (x) => x / 60, step: 30, max: 1200 },
  { from: "days", to: "hours", convert: (x) => x * 24, step: 1, max: 30 },
  { from: "liters", to: "milliliters", convert: (x) => x * 1000, step: 1, max: 20 },
  { from: "degrees Celsius", to: "degrees Fahrenheit", convert: (x) => (x * 9) / 5 + 32, step: 5, max: 100 },
];

function formatNumber(x: number): string {
  // Unit results are exact multiples of 1/4, 1/2 or integers; 4 decimals is plenty and avoids float noise.
  return String(Number(x.toFixed(4)));
}

function unitConversion(rng: Rng): Task {
  const unit = rng.pick(UNITS);
  const value = unit.step * (1 + rng.nextInt(Math.floor(unit.max / unit.step)));
  const result = formatNumber(unit.convert(value));
  const question = rng.pick([
    `Convert ${value} ${unit.from} to ${unit.to}.`,
    `How many ${unit.to} are ${value} ${unit.from}?`,
    `What is ${value} ${unit.from} in ${unit.to}?`,
  ]);
  return { question, reply: `${value} ${unit.from} = ${result} ${unit.to}`, answer: result };
}

const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];

const DATE_FORMATS: Readonly<Record<string, (y: number, m: number, d: number) => string>> = {
  "YYYY-MM-DD": (y, m, d) => `${y}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`,
  "MM/DD/YYYY": (y, m, d) => `${String(m).padStart(2, "0")}/${String(d).padStart(2, "0")}/${y}`,
  "DD.MM.YYYY": (y, m, d) => `${String(d).padStart(2, "0")}.${String(m).padStart(2, "0")}.${y}`,
  "Month D, YYYY": (y, m, d) => `${MONTHS[m - 1]} ${d}, ${y}`,
  "D Month YYYY": (y, m, d) => `${d} ${MONTHS[m - 1]} ${y}`,
};

function daysInMonth(y: number, m: number): number {
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
}

function dateFormatting(rng: Rng): Task {
  const y = 1950 + rng.nextInt(100);
  const m = 1 + rng.nextInt(12);
  const d = 1 + rng.nextInt(daysInMonth(y, m));
  const names = Object.keys(DATE_FORMATS);
  const from = rng.pick(names);
  let to = rng.pick(names);
  while (to === from) to = rng.pick(names);
  const source = DATE_FORMATS[from]!(y, m, d);
  const target = DATE_FORMATS[to]!(y, m, d);
  const question = rng.pick([
    `Rewrite the date ${source} in the format ${to}.`,
    `Format ${source} as ${to}.`,
    `Convert the date ${source} (${from}) to ${to}.`,
  ]);
  return { question, reply: target, answer: target };
}

const WORDS = [
  "apple",
  "river",
  "stone",
  "cloud",
  "tiger",
  "maple",
  "lemon",
  "piano",
  "zebra",
  "quartz",
  "honey",
  "orbit",
  "violet",
  "eagle",
  "nickel",
  "garden",
  "bridge",
  "falcon",
  "yarn",
  "kettle",
];

function sorting(rng: Rng): Task {
  const n = 3 + rng.nextInt(5);
  if (rng.next() < 0.5) {
    const words = shuffled(WORDS, rng).slice(0, n);
    const sorted = [...words].sort();
    const answer = sorted.join(", ");
    return { question: `Sort these words alphabetically: ${words.join(", ")}.`, reply: answer, answer };
  }
  const numbers = Array.from({ length: n }, () => rng.nextInt(200) - 50);
  const descending = rng.next() < 0.5;
  const sorted = [...numbers].sort((a, b) => (descending ? b - a : a - b));
  const answer = sorted.join(", ");
  const order = descending ? "descending" : "ascending";
  return { question: `Sort these numbers in ${order} order: ${numbers.join(", ")}.`, reply: answer, answer };
}

const PEOPLE = [
  "Alice",
  "Bruno",
  "Chen",
  "Dara",
  "Emil",
  "Fatima",
  "Goran",
  "Hana",
  "Ivan",
  "Julia",
  "Kofi",
  "Lena",
];
const CITIES = [
  "Paris",
  "Oslo",
  "Lima",
  "Cairo",
  "Tokyo",
  "Quito",
  "Accra",
  "Perth",
  "Seoul",
  "Dublin",
  "Rome",
  "Delhi",
];
const FRUITS = ["mango", "grape", "peach", "cherry", "banana", "kiwi", "plum", "melon", "fig", "lime"];

function tableLookup(rng: Rng): Task {
  const rows = 3 + rng.nextInt(4);
  const names = shuffled(PEOPLE, rng).slice(0, rows);
  const cities = shuffled(CITIES, rng).slice(0, rows);
  const fruits = shuffled(FRUITS, rng).slice(0, rows);
  const ages = shuffled(
    Array.from({ length: 60 }, (_, i) => 18 + i),
    rng,
  ).slice(0, rows);
  const table = [
    "name | city | age | fruit",
    ...names.map((n, i) => `${n} | ${cities[i]} | ${ages[i]} | ${fruits[i]}`),
  ];
  const row = rng.nextInt(rows);
  const column = rng.pick(["city", "age", "fruit"] as const);
  const answer = column === "city" ? cities[row]! : column === "age" ? String(ages[row]) : fruits[row]!;
  const ask =
    column === "city"
      ? `Which city does ${names[row]} live in?`
      : column === "age"
        ? `How old is ${names[row]}?`
        : `What is ${names[row]}'s favorite fruit?`;
  return { question: `${table.join("\n")}\n\nUsing the table above: ${ask}`, reply: answer, answer };
}

function makeTask(kind: InstructionKind, rng: Rng): Task {
  switch (kind) {
    case "arithmetic":
      return arithmetic(rng);
    case "unitConversion":
      return unitConversion(rng);
    case "dateFormatting":
      return dateFormatting(rng);
    case "sorting":
      return sorting(rng);
    case "tableLookup":
      return tableLookup(rng);
    default:
      return kind satisfies never;
  }
}

/** `count` instruction examples for `seed` (the same seed and kinds always give the same examples). */
export function generateInstructionDataset(options: GenerateInstructionOptions): InstructionExample[] {
  const kinds = options.kinds ?? INSTRUCTION_KINDS;
  if (kinds.length === 0 || kinds.some((k) => !INSTRUCTION_KINDS.includes(k))) {
    throw new ValidationError(
      "INSTRUCTIONS_UNKNOWN_KIND",
      `kinds must be a non-empty subset of ${INSTRUCTION_KINDS.join(", ")}`,
      {
        hint: 'pass kinds such as ["arithmetic", "sorting"] or leave it out for all',
      },
    );
  }
  if (!Number.isSafeInteger(options.count) || options.count < 0) {
    throw new ValidationError(
      "INSTRUCTIONS_INVALID_COUNT",
      `count ${options.count} is not a non-negative integer`,
      {
        hint: "pass how many examples to generate, e.g. 1000",
      },
    );
  }
  const rng = createRng(mixSeed(options.seed, 0x1257));
  return Array.from({ length: options.count }, (_, i) => {
    const kind = rng.pick(kinds);
    const task = makeTask(kind, rng);
    const system = rng.next() < 0.3 ? rng.pick(SYSTEM_PROMPTS) : undefined;
    const conversation: Conversation = {
      ...(system === undefined ? {} : { system }),
      conversations: [
        { role: "user", content: task.question },
        { role: "assistant", content: task.reply },
      ],
    };
    return { id: `${kind}-${i}`, kind, conversation, answer: task.answer };
  });
}

function normalize(text: string): string {
  return text
    .trim()
    .replace(/\s+/g, " ")
    .replace(/[.!]+$/, "")
    .toLowerCase();
}

const NUMBER = /-?\d+(?:,\d{3})*(?:\.\d+)?/g;

function lastNumber(text: string): number | undefined {
  const matches = text.match(NUMBER);
  if (matches === null) return undefined;
  return Number(matches[matches.length - 1]!.replaceAll(",", ""));
}

/** The items of a list answer: the text after the last colon, split into numbers or words. */
function listItems(text: string): string[] {
  const tail = text.slice(text.lastIndexOf(":") + 1);
  return tail.match(/-?\d+(?:\.\d+)?|[A-Za-z]+/g) ?? [];
}

function endsWithPhrase(text: string, phrase: string): boolean {
  if (!text.endsWith(phrase)) return false;
  const before = text.charAt(text.length - phrase.length - 1);
  return before === "" || !/[\p{L}\p{N}]/u.test(before);
}

/**
 * Whether a model's reply answers the example correctly: numbers by value (the last number in the reply),
 * dates by their text at the end of the reply, lists item by item in order, table cells as the only value
 * of that column named in the reply.
 */
export function checkAnswer(example: InstructionExample, text: string): boolean {
  switch (example.kind) {
    case "arithmetic":
      return lastNumber(text) === Number(example.answer);
    case "unitConversion": {
      const got = lastNumber(text);
      const want = Number(example.answer);
      return got !== undefined && Math.abs(got - want) <= 1e-6 * Math.max(1, Math.abs(want));
    }
    case "dateFormatting":
      return endsWithPhrase(normalize(text), normalize(example.answer));
    case "sorting":
      return listItems(text).join(",").toLowerCase() === listItems(example.answer).join(",").toLowerCase();
    case "tableLookup": {
      const words = new Set(normalize(text).match(/[\p{L}\p{N}]+/gu) ?? []);
      if (!words.has(normalize(example.answer))) return false;
      // Naming every value of the column is not an answer: no other value of that column may appear.
      const others = [...CITIES, ...FRUITS]
        .map((w) => w.toLowerCase())
        .filter((w) => w !== normalize(example.answer));
      const ages = example.answer.match(/^\d+$/) ? (normalize(text).match(/\d+/g) ?? []) : [];
      return others.every((w) => !words.has(w)) && ages.every((a) => a === example.answer);
    }
    default:
      return example.kind satisfies never;
  }
}

/**
 * Split items into train and validation deterministically: a seeded shuffle picks
 * round(fraction × n) validation items; both parts keep the original order.
 */
export function splitTrainValidation<T>(
  items: readonly T[],
  options: { validationFraction: number; seed: number },
): { train: T[]; validation: T[] } {
  const f = options.validationFraction;
  if (!(f >= 0 && f <= 1)) {
    throw new ValidationError("SPLIT_INVALID_FRACTION", `validationFraction ${f} is not between 0 and 1`, {
      hint: "pass e.g. 0.1 for a 90/10 split",
    });
  }
  const order = shuffled(
    items.map((_, i) => i),
    createRng(mixSeed(options.seed, 0x5917)),
  );
  const inValidation = new Set(order.slice(0, Math.round(f * items.length)));
  return {
    train: items.filter((_, i) => !inValidation.has(i)),
    validation: items.filter((_, i) => inValidation.has(i)),
  };
}
