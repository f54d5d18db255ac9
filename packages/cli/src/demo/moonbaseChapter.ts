import { depositCredits } from "@flock/chain";
import { FlockError, formatFlock, parseFlock, type wire } from "@flock/core";
import OpenAI from "openai";
import type { AuditCheck } from "../commands/audit.ts";
import { claimAll } from "../commands/claim.ts";
import type { CommandContext } from "../context.ts";
import type { EmbeddedNetwork } from "../network/embeddedNetwork.ts";
import type { Participant } from "../network/participant.ts";
import { table } from "../output.ts";
import { auditAndNote } from "./flChapter.ts";

/** The consumer who calls the Arena's winner: the creator of its task, now using what it paid for. */
export const CONSUMER = "ada";

/**
 * What the consumer asks (the task's kinds of instruction, short enough for the quick demo's 96-byte context
 * with the chat template and the answer); the second answer is streamed.
 */
const QUESTIONS = ["What is 12 + 7?", "Convert 3 km to m."] as const;
/** FLOCK the consumer keeps in its usage credit to pay for the demo's calls. */
const DEMO_CREDIT = parseFlock("10");
/** Asked of the federated model (the FL chapter's global adapter on the Arena winner). */
const FL_QUESTION = "Sort these numbers: 9, 2, 5.";
/** The demo's accounts that may earn a share of the revenue (trainers, validators, FL organizations, delegators). */
const EARNERS = ["ada", "bo", "cy", "di", "ed", "flo", "gus"] as const;
/** How long the chapter waits for the coordinator to settle the revenue epoch. */
const SETTLE_TIMEOUT_MS = 120_000;
/** Bytes of answer asked for: the quick demo's context holds the template, the question and this. */
const MAX_TOKENS = 24;

export interface DemoAnswer {
  model: string;
  question: string;
  answer: string;
  streamed: boolean;
  promptTokens: number;
  completionTokens: number;
  /** What the call cost, in FLOCK base units (the coordinator's `usage.cost`). */
  cost: bigint;
}

/** One account's claim of the revenue epoch, with why it earned. */
export interface DemoRevenueClaim {
  name: string;
  roles: string[];
  amount: bigint;
}

export interface DemoMoonbaseReport {
  /** The Arena winner as the registry holds it. */
  model: { name: string; version: number; baseModel: string; metrics: Record<string, number> };
  /** The model card's YAML front matter, as Hugging Face reads it. */
  cardFrontMatter: string[];
  answers: DemoAnswer[];
  /** The epoch that collected the calls' cost on-chain and paid it to the models' lineages. */
  epoch: number;
  /** FLOCK collected from the consumer's credit by that epoch. */
  collected: bigint;
  /** Who claimed what of it (the treasury's share is not claimed). */
  claims: DemoRevenueClaim[];
  audit: { verified: boolean; checks: AuditCheck[] };
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

/** The federated task's global model (or the version an earlier run registered for the same adapter). */
async function flModel(who: (name: string) => Participant, flTaskId: number): Promise<wire.Model> {
  const models = await who(CONSUMER).api.models.list({ versions: "all" });
  const model = models.find((m) => m.taskId === flTaskId) ?? models.find((m) => m.kind === "fl-global");
  if (model === undefined) {
    throw chapterError(
      "DEMO_MODEL_NOT_REGISTERED",
      `the registry holds no global model of federated task ${flTaskId}`,
      "a federated task's model is registered once a round is accepted: check the coordinator's log in <home>/logs",
    );
  }
  return model;
}

/** The cost the coordinator put in a call's usage (a decimal string of FLOCK base units). */
function costOf(usage: unknown): bigint {
  const cost = (usage as { cost?: unknown } | undefined)?.cost;
  return typeof cost === "string" ? BigInt(cost) : 0n;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
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
  fl: { taskId: number },
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
  const federated = await flModel(who, fl.taskId);
  const { key, secret } = await consumer.api.keys.create({
    name: "demo",
    models: [model.name, federated.name],
  });
  output.note(
    `usage credit ${formatFlock(credit.spendable)} FLOCK spendable; API key ${key.prefix}… scoped to ${model.name} and ${federated.name}`,
  );

  const before = (await consumer.api.epochs.list()).reduce((max, e) => Math.max(max, e.number), 0);
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
      model: model.name,
      question,
      answer,
      streamed: false,
      promptTokens: completion.usage?.prompt_tokens ?? 0,
      completionTokens: completion.usage?.completion_tokens ?? 0,
      cost: costOf(completion.usage),
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
      model: model.name,
      question,
      answer,
      streamed: true,
      promptTokens: usage?.prompt_tokens ?? 0,
      completionTokens: usage?.completion_tokens ?? 0,
      cost: costOf(usage),
    });
  }
  {
    const completion = await client.chat.completions.create({
      model: federated.name,
      messages: [{ role: "user", content: FL_QUESTION }],
      max_tokens: MAX_TOKENS,
      temperature: 0,
    });
    const answer = completion.choices[0]?.message.content ?? "";
    output.note(`Q (${federated.name}): ${FL_QUESTION}\nA: ${answer}`);
    answers.push({
      model: federated.name,
      question: FL_QUESTION,
      answer,
      streamed: false,
      promptTokens: completion.usage?.prompt_tokens ?? 0,
      completionTokens: completion.usage?.completion_tokens ?? 0,
      cost: costOf(completion.usage),
    });
  }
  for (const a of answers)
    output.note(`${a.promptTokens}+${a.completionTokens} tokens cost ${formatFlock(a.cost)} FLOCK`);

  step("the next epoch collects the usage on-chain and pays it to the models' lineages");
  let epoch: wire.Epoch | undefined;
  let usage: wire.EpochUsage | undefined;
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  for (;;) {
    const settled = (await consumer.api.epochs.list()).filter((e) => e.number > before && e.txHash !== null);
    for (const candidate of settled) {
      const collected = await consumer.api.epochs.usage(candidate.number);
      if (collected.total !== "0") {
        epoch = candidate;
        usage = collected;
      }
    }
    if (epoch !== undefined && usage !== undefined) break;
    if (Date.now() > deadline) {
      throw chapterError(
        "DEMO_NOT_SETTLED",
        `no epoch collected the usage within ${SETTLE_TIMEOUT_MS / 1000} s`,
        "the coordinator closes a revenue epoch on its emission poll: check its log in <home>/logs",
      );
    }
    await sleep(500);
  }
  output.note(`epoch ${epoch.number} collected ${formatFlock(BigInt(usage.total))} FLOCK of usage on-chain`);
  const roles = new Map<string, string[]>();
  const role = (account: string, what: string) => {
    const list = roles.get(account.toLowerCase()) ?? [];
    if (!list.includes(what)) list.push(what);
    roles.set(account.toLowerCase(), list);
  };
  for (const trainer of model.lineage.trainers) role(trainer, "Arena trainer");
  for (const v of model.lineage.validators) role(v.account, "validator");
  for (const contributor of federated.lineage.trainers) role(contributor, "FL contributor");
  const claims: DemoRevenueClaim[] = [];
  for (const name of EARNERS) {
    const lines = await claimAll(ctx, name, epoch.number);
    const amount = lines.reduce((sum, l) => sum + (l.paid ?? 0n), 0n);
    if (amount === 0n) continue;
    const own = roles.get(who(name).address.toLowerCase()) ?? [];
    claims.push({ name, roles: own.length === 0 ? ["delegator"] : own, amount });
    output.note(
      `${name.padEnd(4)} claimed ${formatFlock(amount)} FLOCK of revenue (${claims.at(-1)!.roles.join(", ")})`,
    );
  }
  const { audit, verified } = await auditAndNote(ctx, epoch.number);

  return {
    model: { name: model.name, version: model.version, baseModel: model.baseModel, metrics: model.metrics },
    cardFrontMatter,
    answers,
    epoch: epoch.number,
    collected: BigInt(usage.total),
    claims,
    audit: { verified, checks: audit.checks },
    seconds: Math.round((performance.now() - started) / 100) / 10,
  };
}

/** The chapter's lines on the demo's final screen. */
export function renderMoonbaseReport(moonbase: DemoMoonbaseReport): string[] {
  return [
    "",
    `Moonbase: ${moonbase.model.name}@${moonbase.model.version} served over the OpenAI-compatible API`,
    table(
      ["model", "question", "streamed", "tokens in+out", "cost FLOCK"],
      moonbase.answers.map((a) => [
        a.model,
        a.question,
        a.streamed ? "yes" : "no",
        `${a.promptTokens}+${a.completionTokens}`,
        formatFlock(a.cost),
      ]),
    ),
    `Epoch ${moonbase.epoch} collected ${formatFlock(moonbase.collected)} FLOCK of usage and paid it to the lineages:`,
    table(
      ["account", "earned as", "revenue claimed FLOCK"],
      moonbase.claims.map((c) => [c.name, c.roles.join(", "), formatFlock(c.amount)]),
    ),
    `Audit of epoch ${moonbase.epoch} (revenue): ${moonbase.audit.verified ? "verified" : "FAILED"} (${moonbase.audit.checks.filter((c) => c.ok).length}/${moonbase.audit.checks.length} checks)`,
    `Moonbase chapter ${moonbase.seconds} s`,
  ];
}
