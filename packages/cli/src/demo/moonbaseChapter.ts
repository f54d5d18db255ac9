import { depositCredits } from "@flock/chain";
import { FlockError, formatFlock, parseFlock, type wire } from "@flock/core";
import OpenAI from "openai";
import type { CommandContext } from "../context.ts";
import type { EmbeddedNetwork } from "../network/embeddedNetwork.ts";
import type { Participant } from "../network/participant.ts";
import { table } from "../output.ts";

/** The consumer who calls the Arena's winner: the creator of its task, now using what it paid for. */
export const CONSUMER = "ada";

/**
 * What the consumer asks (the task's kinds of instruction, short enough for the quick demo's 96-byte context
 * with the chat template and the answer); the second answer is streamed.
 */
const QUESTIONS = ["What is 12 + 7?", "Convert 3 km to m."] as const;
/** FLOCK the consumer keeps in its usage credit to pay for the demo's calls. */
const DEMO_CREDIT = parseFlock("10");
/** Bytes of answer asked for: the quick demo's context holds the template, the question and this. */
const MAX_TOKENS = 24;

export interface DemoAnswer {
  question: string;
  answer: string;
  streamed: boolean;
  promptTokens: number;
  completionTokens: number;
}

export interface DemoMoonbaseReport {
  /** The Arena winner as the registry holds it. */
  model: { name: string; version: number; baseModel: string; metrics: Record<string, number> };
  /** The model card's YAML front matter, as Hugging Face reads it. */
  cardFrontMatter: string[];
  answers: DemoAnswer[];
  seconds: number;
}

function chapterError(code: string, message: string, hint: string): FlockError {
  return new FlockError(code, message, { hint });
}

/** The YAML front matter of a Hugging Face model card (between the leading `---` lines). */
export function frontMatterOf(card: string): string[] {
  const lines = card.split("\n");
  if (lines[0] !== "---") return [];
  const end = lines.indexOf("---", 1);
  return end < 0 ? [] : lines.slice(1, end);
}

/**
 * The registry's version of the model an Arena task produced: its winner, registered when the task settled — or
 * the version an earlier run registered for the very same adapter (a rerun of the demo trains the same one).
 */
async function arenaModel(
  who: (name: string) => Participant,
  arena: { taskId: number; winnerSubmissionId: number | null },
): Promise<wire.Model> {
  const api = who(CONSUMER).api;
  const models = await api.models.list({ versions: "all" });
  const winner =
    arena.winnerSubmissionId === null
      ? undefined
      : (await api.submissions.list(arena.taskId)).find((s) => s.id === arena.winnerSubmissionId);
  const model =
    models.find((m) => m.taskId === arena.taskId) ??
    models.find((m) => winner?.artifactId != null && m.artifact === winner.artifactId);
  if (model === undefined) {
    throw chapterError(
      "DEMO_MODEL_NOT_REGISTERED",
      `the registry holds no model of Arena task ${arena.taskId}`,
      "the winner is registered when its task settles: check the coordinator's log in <home>/logs",
    );
  }
  return model;
}

/**
 * Moonbase (SPEC §2.4): the Arena's winner is in the registry with its lineage and Hugging Face card, and a
 * consumer calls it over the OpenAI-compatible API with the official `openai` client, unchanged: one answer
 * whole, one streamed with its usage in the last chunk.
 */
export async function runMoonbaseChapter(
  ctx: CommandContext,
  network: EmbeddedNetwork,
  who: (name: string) => Participant,
  arena: { taskId: number; winnerSubmissionId: number | null },
): Promise<DemoMoonbaseReport> {
  const started = performance.now();
  const { output } = ctx;
  const step = (text: string) => output.note(`\n== ${text}`);

  step("Moonbase: the Arena's winner in the model registry");
  const model = await arenaModel(who, arena);
  const card = await who(CONSUMER).api.models.card(model.id);
  const cardFrontMatter = frontMatterOf(card);
  output.note(`${model.name}@${model.version} (${model.kind}) on ${model.baseModel}`);
  for (const line of cardFrontMatter) output.note(`  ${line}`);

  step(`${CONSUMER} pays for calls from a prepaid balance and makes an API key`);
  const consumer = who(CONSUMER);
  // The coordinator meters every /v1 call against the UsageCredits balance (reading it syncs its index).
  if ((await consumer.api.credits.get(consumer.address)).spendable < DEMO_CREDIT) {
    await depositCredits(consumer.chain, { amount: DEMO_CREDIT });
  }
  const credit = await consumer.api.credits.get(consumer.address);
  const { key, secret } = await consumer.api.keys.create({ name: "demo", models: [model.name] });
  output.note(
    `usage credit ${formatFlock(credit.spendable)} FLOCK spendable; API key ${key.prefix}… scoped to ${model.name}`,
  );

  step(`${CONSUMER} calls ${model.name} with the official openai client`);
  const client = new OpenAI({ baseURL: `${network.apiUrl}/v1`, apiKey: secret, maxRetries: 0 });
  const answers: DemoAnswer[] = [];
  {
    const question = QUESTIONS[0];
    const completion = await client.chat.completions.create({
      model: model.name,
      messages: [{ role: "user", content: question }],
      max_tokens: MAX_TOKENS,
      temperature: 0,
    });
    const answer = completion.choices[0]?.message.content ?? "";
    output.note(`Q: ${question}\nA: ${answer}`);
    answers.push({
      question,
      answer,
      streamed: false,
      promptTokens: completion.usage?.prompt_tokens ?? 0,
      completionTokens: completion.usage?.completion_tokens ?? 0,
    });
  }
  {
    const question = QUESTIONS[1];
    const stream = await client.chat.completions.create({
      model: model.name,
      messages: [{ role: "user", content: question }],
      max_tokens: MAX_TOKENS,
      temperature: 0.7,
      seed: 7,
      stream: true,
      stream_options: { include_usage: true },
    });
    output.note(`Q: ${question}`);
    let answer = "";
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta.content ?? "";
      answer += delta;
      if (chunk.usage) usage = chunk.usage;
    }
    output.note(`A (streamed): ${answer}`);
    answers.push({
      question,
      answer,
      streamed: true,
      promptTokens: usage?.prompt_tokens ?? 0,
      completionTokens: usage?.completion_tokens ?? 0,
    });
  }

  return {
    model: { name: model.name, version: model.version, baseModel: model.baseModel, metrics: model.metrics },
    cardFrontMatter,
    answers,
    seconds: Math.round((performance.now() - started) / 100) / 10,
  };
}

/** The chapter's lines on the demo's final screen. */
export function renderMoonbaseReport(moonbase: DemoMoonbaseReport): string[] {
  return [
    "",
    `Moonbase: ${moonbase.model.name}@${moonbase.model.version} served over the OpenAI-compatible API`,
    table(
      ["question", "streamed", "prompt tokens", "completion tokens"],
      moonbase.answers.map((a) => [
        a.question,
        a.streamed ? "yes" : "no",
        String(a.promptTokens),
        String(a.completionTokens),
      ]),
    ),
    `Moonbase chapter ${moonbase.seconds} s`,
  ];
}
