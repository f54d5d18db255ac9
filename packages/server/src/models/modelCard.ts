import type { ModelRecord } from "@flock/store";

/** What a card says about where the model lives besides its registry record. */
export interface ModelCardContext {
  /** The coordinator's URL as clients reach it (e.g. `http://127.0.0.1:8545`); a placeholder when unknown. */
  coordinatorUrl?: string;
  /** The files of the model's Hugging Face folder (GET /models/:id/files). */
  files: readonly string[];
  /** The registry name of the base model when it is itself a registered model. */
  baseModelName?: string;
}

/**
 * Hugging Face's `base_model_relation`: an Arena LoRA (and a federated LoRA) is an `adapter` of its base model;
 * a full fine-tune and a tabular model trained from a published base are a `finetune`.
 */
export function baseModelRelationOf(model: Pick<ModelRecord, "kind" | "lineage">): "adapter" | "finetune" {
  if (model.kind === "arena-lora") return "adapter";
  if (model.kind === "fl-global") return model.lineage.task.type === "lm-lora" ? "adapter" : "finetune";
  return "finetune";
}

const isLanguage = (model: ModelRecord) =>
  model.lineage.task.type === "lm-lora" || model.lineage.task.type === "lm-full";

/** A YAML scalar: JSON's double-quoted strings are YAML double-quoted scalars; numbers stay numbers. */
function scalar(value: string | number): string {
  return typeof value === "number" ? String(value) : JSON.stringify(value);
}

const WAD = 10n ** 18n;
/** A fixed-point decimal text (1e18 = 1.0) as a plain decimal with up to 6 places. */
export function fixedPointText(text: string): string {
  const value = BigInt(text);
  const sign = value < 0n ? "-" : "";
  const magnitude = value < 0n ? -value : value;
  const fraction = ((magnitude % WAD) * 1_000_000n) / WAD;
  return `${sign}${magnitude / WAD}.${fraction.toString().padStart(6, "0")}`;
}

function frontMatter(model: ModelRecord, ctx: ModelCardContext): string {
  const relation = baseModelRelationOf(model);
  const tags = [
    "flock",
    model.lineage.task.kind === "federated" ? "federated-learning" : "flock-arena",
    model.lineage.task.type,
    ...(relation === "adapter" ? ["lora", "peft"] : []),
  ];
  const lines = [
    "---",
    `license: ${scalar(model.license)}`,
    "base_model:",
    `- ${scalar(ctx.baseModelName ?? model.baseModel)}`,
    `base_model_relation: ${relation}`,
  ];
  if (relation === "adapter") lines.push("library_name: peft");
  else if (isLanguage(model)) lines.push("library_name: transformers");
  if (isLanguage(model)) lines.push("pipeline_tag: text-generation");
  lines.push("tags:", ...tags.map((t) => `- ${scalar(t)}`));
  if (model.lineage.datasets.length > 0) {
    lines.push("datasets:", ...model.lineage.datasets.map((d) => `- ${scalar(d)}`));
  }
  const metrics = Object.entries(model.metrics);
  if (metrics.length > 0) {
    lines.push(
      "model-index:",
      `- name: ${scalar(model.name)}`,
      "  results:",
      "  - task:",
      `      type: ${isLanguage(model) ? "text-generation" : model.lineage.task.type === "classifier" ? "tabular-classification" : "tabular-regression"}`,
      "    dataset:",
      `      name: ${scalar(model.lineage.task.kind === "federated" ? "participants' private test sets" : "hidden validation set")}`,
      `      type: ${scalar(`flock-task-${model.lineage.task.id}`)}`,
      "    metrics:",
    );
    for (const [name, value] of metrics) {
      lines.push(`    - type: ${scalar(name)}`, `      value: ${scalar(value)}`);
    }
  }
  lines.push("---");
  return lines.join("\n");
}

function evaluation(model: ModelRecord): string[] {
  const metrics = Object.entries(model.metrics);
  const out = ["## Evaluation", ""];
  if (metrics.length === 0) {
    out.push("No metric was recorded for this model.");
    return out;
  }
  if (model.lineage.task.kind === "arena") {
    out.push(
      "Scored by the task's validators on its hidden validation set (revealed after the task); the value is the",
      "stake-weighted median of their revealed scores (the consensus; a refereed re-run replaces a disputed one).",
      "Lower is better.",
    );
  } else {
    out.push(
      "Measured by the last accepted round's voters on their own test data (median of their reports).",
    );
  }
  out.push(
    "",
    "| metric | value |",
    "|---|---|",
    ...metrics.map(([name, value]) => `| ${name} | ${value} |`),
  );
  return out;
}

function lineage(model: ModelRecord, ctx: ModelCardContext): string[] {
  const l = model.lineage;
  const out = [
    "## Lineage",
    "",
    `- Task: #${l.task.id} “${l.task.title}” (${l.task.kind === "federated" ? "FL Alliance federated task" : "Arena task"}, type ${l.task.type})`,
    `- Base model: \`${ctx.baseModelName ?? l.baseModel}\`${ctx.baseModelName === undefined ? "" : ` (\`${l.baseModel}\`)`}`,
    `- Artifact: \`${model.artifact}\` (version ${model.version} of \`${model.name}\`)`,
    `- Trainer${l.trainers.length === 1 ? "" : "s"}: ${l.trainers.map((t) => `\`${t}\``).join(", ") || "none"}`,
  ];
  if (l.datasets.length > 0) out.push(`- Training data: ${l.datasets.map((d) => `\`${d}\``).join(", ")}`);
  else if (l.task.kind === "federated")
    out.push("- Training data: the participants' own, which never left them");
  if (l.consensusScore !== undefined) {
    out.push(`- Consensus score: ${fixedPointText(l.consensusScore)} (submission #${l.submissionId})`);
  }
  if (l.validators.length > 0) {
    out.push("", "### Validators", "", "| validator | revealed score |", "|---|---|");
    for (const v of l.validators) out.push(`| \`${v.account}\` | ${fixedPointText(v.score)} |`);
  }
  if (l.rounds !== undefined && l.rounds.length > 0) {
    out.push(
      "",
      `### Federated rounds (pay rule: ${l.payRule ?? "stake"})`,
      "",
      "| round | outcome | proposers | in the model | voters | contribution values |",
      "|---|---|---|---|---|---|",
    );
    for (const r of l.rounds) {
      const values =
        r.contributions?.map((c) => `\`${c.account}\` ${fixedPointText(c.valueWad)}`).join(", ") ?? "";
      out.push(
        `| ${r.round} | ${r.status} | ${r.proposers.length} | ${r.contributors.map((a) => `\`${a}\``).join(", ")} | ${r.voters.length} | ${values} |`,
      );
    }
  }
  return out;
}

function howToCall(model: ModelRecord, url: string): string[] {
  if (!isLanguage(model)) {
    return [
      "## How to use it",
      "",
      "A tabular MLP: download the folder below; `config.json` names its feature columns, label and layers,",
      "`model.safetensors` holds `layers.{i}.weight|bias` (F32).",
    ];
  }
  return [
    "## How to call it",
    "",
    "The coordinator serves registered language models over an OpenAI-compatible API",
    "(`GET /v1/models`, `POST /v1/chat/completions`, streaming or not). The official `openai` client works",
    "unchanged; the model id is the registry name:",
    "",
    "```ts",
    'import OpenAI from "openai";',
    `const client = new OpenAI({ baseURL: "${url}/v1", apiKey: process.env.FLOCK_API_KEY });`,
    "const answer = await client.chat.completions.create({",
    `  model: "${model.name}",`,
    '  messages: [{ role: "user", content: "Hello!" }],',
    "});",
    "console.log(answer.choices[0].message.content);",
    "```",
  ];
}

function howToDownload(model: ModelRecord, ctx: ModelCardContext, url: string): string[] {
  const out = [
    "## How to download it",
    "",
    "As a Hugging Face folder:",
    "",
    "```sh",
    `flock models download ${model.name}@${model.version} --out ./${model.name.split("/")[1]}`,
    "```",
    "",
    `or file by file from \`${url}/models/${model.id}/files/<name>\`: ${ctx.files.map((f) => `\`${f}\``).join(", ")}.`,
  ];
  if (!ctx.files.includes("flock-artifact.bin")) {
    out.push(
      "",
      isLanguage(model)
        ? "As one ONNX file (opset 17, weights inside, a LoRA adapter merged into its base) for onnxruntime-web in a browser or any ONNX runtime: `input_ids` and `attention_mask` (int64 [batch, seq], right-padded) give `logits` (float32 [batch, seq, vocab]):"
        : "As one ONNX file (opset 17, weights inside) for onnxruntime-web in a browser or any ONNX runtime: `features` (float32 [batch, features]) give `logits` (classifier) or `prediction` (regressor):",
      "",
      "```sh",
      `flock models download ${model.name}@${model.version} --format onnx --out ./${model.name.split("/")[1]}-onnx`,
      "```",
      "",
      `or \`${url}/models/${model.id}/onnx\` (\`?seqLen=n\` for a shorter fixed sequence length).`,
    );
  }
  if (baseModelRelationOf(model) === "adapter") {
    out.push(
      "",
      "The folder is a PEFT LoRA adapter (`adapter_config.json` + `adapter_model.safetensors`); with its base",
      "model saved as a Hugging Face folder (`flock models download` of the base, or the engine's `saveLlama`):",
      "",
      "```python",
      "from transformers import AutoModelForCausalLM",
      "from peft import PeftModel",
      'base = AutoModelForCausalLM.from_pretrained("./base")',
      `model = PeftModel.from_pretrained(base, "./${model.name.split("/")[1]}")`,
      "```",
    );
  }
  return out;
}

/**
 * The model card of a registered model in Hugging Face's format (pure): YAML front matter (`license`,
 * `base_model`, `base_model_relation`, `library_name`, `tags`, `datasets`, `model-index` with its metrics),
 * then markdown sections: evaluation, lineage, how to call it and how to download it.
 */
export function modelCard(model: ModelRecord, ctx: ModelCardContext): string {
  const url = ctx.coordinatorUrl ?? "http://127.0.0.1:8545";
  const what =
    model.lineage.task.kind === "federated"
      ? `the final global model of federated task #${model.lineage.task.id}, trained together by ${model.lineage.trainers.length} organizations whose data never left them`
      : `the winner of Arena task #${model.lineage.task.id}, ranked first by its validators' consensus`;
  return [
    frontMatter(model, ctx),
    "",
    `# ${model.name} (version ${model.version})`,
    "",
    `${model.kind === "arena-lora" || baseModelRelationOf(model) === "adapter" ? "A LoRA adapter" : "A model"}: ${what}.`,
    `Registered on ${model.createdAt.toISOString()} under the ${model.license} license.`,
    "",
    ...evaluation(model),
    "",
    ...lineage(model, ctx),
    "",
    ...howToCall(model, url),
    "",
    ...howToDownload(model, ctx, url),
    "",
  ].join("\n");
}
