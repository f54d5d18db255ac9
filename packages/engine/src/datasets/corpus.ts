import { ValidationError } from "@flock/core";
import { createRng, type Rng } from "../data/random.ts";

/**
 * A self-made English corpus: short children's stories from a probabilistic grammar (in the spirit of
 * TinyStories, Eldan & Li 2023, but generated here from word lists, so nothing is downloaded or copyrighted).
 * Characters stay consistent within a story (name, pronoun, animal, friend), counts add up, and every story
 * follows one of a few plot shapes, so a small byte-level model can learn far below the unigram entropy.
 * ASCII only: one character is one byte.
 */

interface Character {
  name: string;
  subject: "he" | "she";
  object: "him" | "her";
  possessive: "his" | "her";
  animal: string;
}

const GIRLS = ["Lily", "Mia", "Anna", "Zoe", "Ella", "Sara", "Lucy", "Emma", "Rosa", "Nora", "Ruby", "Ivy"];
const BOYS = ["Tom", "Ben", "Sam", "Max", "Leo", "Jack", "Finn", "Oscar", "Hugo", "Noah", "Theo", "Kai"];
const ANIMALS = [
  "cat",
  "dog",
  "bird",
  "rabbit",
  "fox",
  "bear",
  "duck",
  "frog",
  "mouse",
  "owl",
  "pig",
  "goat",
];
const TRAITS = ["little", "kind", "brave", "shy", "funny", "curious", "happy", "clever", "gentle", "quiet"];
const COLORS = ["red", "blue", "green", "yellow", "purple", "orange", "pink", "white", "brown", "black"];
const OBJECTS = ["ball", "kite", "box", "hat", "book", "boat", "drum", "cup", "shoe", "bell", "key", "map"];
const FOODS = ["apples", "cookies", "berries", "carrots", "cakes", "pears", "nuts", "plums"];
const PLACES = ["park", "garden", "forest", "beach", "school", "river", "hill", "farm", "town", "lake"];
const HOMES = ["house", "tree", "hole", "nest", "cottage", "barn"];
const HOBBIES = ["play", "run", "jump", "sing", "read", "dance", "swim", "draw", "climb", "paint"];
const WEATHER = ["sunny", "rainy", "windy", "cold", "warm", "cloudy"];
const SAD = ["sad", "scared", "worried", "upset"];
const GLAD = ["happy", "glad", "proud", "excited"];
const HIDING = ["under a tree", "behind a rock", "in the tall grass", "near the water", "on a high branch"];
const NUMBERS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"];

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? `an ${word}` : `a ${word}`;
}

function makeCharacter(rng: Rng, avoid?: string): Character {
  const girl = rng.next() < 0.5;
  let name = rng.pick(girl ? GIRLS : BOYS);
  while (name === avoid) name = rng.pick(girl ? GIRLS : BOYS);
  return girl
    ? { name, subject: "she", object: "her", possessive: "her", animal: rng.pick(ANIMALS) }
    : { name, subject: "he", object: "him", possessive: "his", animal: rng.pick(ANIMALS) };
}

function opening(rng: Rng, hero: Character): string[] {
  const trait = rng.pick(TRAITS);
  const first = rng.pick([
    `Once upon a time, there was ${article(trait)} ${hero.animal} named ${hero.name}.`,
    `There once was ${article(trait)} ${hero.animal} called ${hero.name}.`,
    `${hero.name} was ${article(trait)} ${hero.animal}.`,
  ]);
  const home = `${capitalize(hero.subject)} lived in ${article(rng.pick(["small", "big", "old", "cozy"]))} ${rng.pick(HOMES)} near the ${rng.pick(PLACES)}.`;
  const hobby = `${hero.name} loved to ${rng.pick(HOBBIES)} every day.`;
  return rng.next() < 0.5 ? [first, home, hobby] : [first, hobby];
}

function lostObjectPlot(rng: Rng, hero: Character, friend: Character): string[] {
  const color = rng.pick(COLORS);
  const object = rng.pick(OBJECTS);
  const place = rng.pick(PLACES);
  const hiding = rng.pick(HIDING);
  return [
    `One ${rng.pick(WEATHER)} day, ${hero.name} went to the ${place} with ${hero.possessive} ${color} ${object}.`,
    `${capitalize(hero.subject)} played with the ${object} all morning.`,
    `But then the ${object} was gone!`,
    `${hero.name} felt ${rng.pick(SAD)}.`,
    `${capitalize(hero.subject)} looked everywhere, but ${hero.subject} could not find it.`,
    `Then ${hero.possessive} friend ${friend.name} the ${friend.animal} came by.`,
    `"Why are you ${rng.pick(SAD)}?" asked ${friend.name}.`,
    `"I lost my ${color} ${object}," said ${hero.name}.`,
    `"I will help you," said ${friend.name}.`,
    `They looked together, and ${friend.name} found the ${object} ${hiding}.`,
    `${hero.name} was so ${rng.pick(GLAD)}.`,
    `"Thank you, ${friend.name}!" ${hero.subject} said.`,
    `From that day on, ${hero.name} and ${friend.name} were best friends.`,
  ];
}

function sharingPlot(rng: Rng, hero: Character, friend: Character): string[] {
  const food = rng.pick(FOODS);
  const have = 3 + rng.nextInt(7);
  const give = 1 + rng.nextInt(have - 1);
  const left = have - give;
  return [
    `One morning, ${hero.name} found ${NUMBERS[have]} ${food} in the ${rng.pick(PLACES)}.`,
    `${capitalize(hero.subject)} wanted to eat them all.`,
    `Then ${hero.subject} saw ${friend.name} the ${friend.animal}.`,
    `${friend.name} was hungry and had no ${food}.`,
    `${hero.name} thought about it and gave ${NUMBERS[give]} ${give === 1 ? food.replace(/(ie)?s$/, (m) => (m === "ies" ? "y" : "")) : food} to ${friend.name}.`,
    `Now ${hero.name} had ${NUMBERS[left]} ${left === 1 ? food.replace(/(ie)?s$/, (m) => (m === "ies" ? "y" : "")) : food} left.`,
    `${friend.name} smiled and said, "Thank you, ${hero.name}. You are very kind."`,
    `They sat down and ate together.`,
    `${hero.name} learned that sharing makes everyone ${rng.pick(GLAD)}.`,
  ];
}

function adventurePlot(rng: Rng, hero: Character, friend: Character): string[] {
  const place = rng.pick(PLACES.filter((p) => p !== "school" && p !== "town"));
  const color = rng.pick(COLORS);
  const sound = rng.pick(["a loud noise", "a soft song", "a strange sound", "a little cry"]);
  return [
    `One ${rng.pick(WEATHER)} day, ${hero.name} and ${friend.name} went to the ${place}.`,
    `They wanted to ${rng.pick(HOBBIES)} and have fun.`,
    `Suddenly, they heard ${sound}.`,
    `"What was that?" asked ${friend.name}.`,
    `${hero.name} was ${rng.pick(SAD)}, but ${hero.subject} was also brave.`,
    `They walked slowly and found a tiny ${color} bird ${rng.pick(HIDING)}.`,
    `The bird could not fly because its wing hurt.`,
    `${hero.name} and ${friend.name} took the bird home and gave it water.`,
    `After a few days, the bird could fly again.`,
    `It sang a happy song for them every morning.`,
  ];
}

function weatherPlot(rng: Rng, hero: Character): string[] {
  const hobby = rng.pick(HOBBIES);
  const indoor = rng.pick(["read a book", "draw a picture", "bake a cake", "build a fort"]);
  return [
    `${hero.name} wanted to ${hobby} outside.`,
    `But it was ${rng.pick(["rainy", "cold", "windy"])} and ${hero.possessive} mom said, "You must stay inside today."`,
    `${hero.name} felt ${rng.pick(SAD)}.`,
    `Then ${hero.subject} had an idea.`,
    `${capitalize(hero.subject)} decided to ${indoor}.`,
    `It was a lot of fun, and the day went by fast.`,
    `The next day the sun came out, and ${hero.name} went outside to ${hobby}.`,
    `${capitalize(hero.subject)} was ${rng.pick(GLAD)}.`,
  ];
}

/** One story (a paragraph of sentences) drawn from the grammar. */
export function generateStory(rng: Rng): string {
  const hero = makeCharacter(rng);
  const friend = makeCharacter(rng, hero.name);
  const plot = rng.nextInt(4);
  const body =
    plot === 0
      ? lostObjectPlot(rng, hero, friend)
      : plot === 1
        ? sharingPlot(rng, hero, friend)
        : plot === 2
          ? adventurePlot(rng, hero, friend)
          : weatherPlot(rng, hero);
  const ending = rng.next() < 0.3 ? ["The end."] : [];
  return [...opening(rng, hero), ...body, ...ending].join(" ");
}

/** `count` stories for `seed`, in order. */
export function generateStories(options: { seed: number; count: number }): string[] {
  const rng = createRng(options.seed);
  return Array.from({ length: options.count }, () => generateStory(rng));
}

export interface GenerateCorpusOptions {
  seed: number;
  /** Exact length of the returned text in bytes (= characters: the corpus is ASCII). */
  bytes: number;
}

/** Stories separated by blank lines, cut to exactly `bytes` bytes; the same seed gives the same text. */
export function generateCorpus(options: GenerateCorpusOptions): string {
  if (!Number.isSafeInteger(options.bytes) || options.bytes < 0) {
    throw new ValidationError(
      "CORPUS_INVALID_SIZE",
      `corpus size ${options.bytes} is not a non-negative integer`,
      {
        hint: "pass bytes as a whole number, e.g. 1_000_000",
      },
    );
  }
  const rng = createRng(options.seed);
  const parts: string[] = [];
  let length = 0;
  while (length < options.bytes) {
    const story = generateStory(rng);
    parts.push(story);
    length += story.length + 2;
  }
  return parts.join("\n\n").slice(0, options.bytes);
}

/**
 * Entropy of the byte frequencies of `text` in bits per byte: the loss of the best model that ignores
 * context (the unigram baseline). `H = −Σ p(b) log2 p(b)`.
 */
export function unigramBitsPerByte(text: string | Uint8Array): number {
  const bytes = typeof text === "string" ? new TextEncoder().encode(text) : text;
  if (bytes.byteLength === 0) return 0;
  const counts = new Float64Array(256);
  for (const b of bytes) counts[b]! += 1;
  let h = 0;
  for (const c of counts) {
    if (c > 0) {
      const p = c / bytes.byteLength;
      h -= p * Math.log2(p);
    }
  }
  return h;
}
