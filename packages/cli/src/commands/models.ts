import { mkdir, rename, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { FlockError, sha256Hex } from "@flock/core";
import type { CommandContext } from "../context.ts";
import { table } from "../output.ts";
import { UsageError } from "../usageError.ts";
import { publicClient } from "./task.ts";

/** A model reference as the registry takes it: a numeric id, `owner/slug` or `owner/slug@version`. */
function modelRef(text: string): string {
  if (/^[0-9]+$/.test(text) || /^[a-z0-9][a-z0-9._-]*\/[a-z0-9][a-z0-9._-]*(@[0-9]+)?$/.test(text))
    return text;
  throw new UsageError(
    `"${text}" is not a model id, name or name@version`,
    "pass a model's id or name as `flock models list` shows it, e.g. flock/lm-lora-instructions@2",
    "MODEL_NAME_MALFORMED",
  );
}

const metricsText = (metrics: Record<string, number>) =>
  Object.entries(metrics)
    .map(([name, value]) => `${name} ${value}`)
    .join(", ") || "-";

/** `flock models list`: each registered model's latest version (every version with --all). */
export async function runModelsList(ctx: CommandContext, options: { all?: boolean; task?: string }) {
  const taskId = options.task === undefined ? undefined : Number(options.task);
  if (taskId !== undefined && !(Number.isSafeInteger(taskId) && taskId >= 1)) {
    throw new UsageError(
      `--task ${options.task} is not a task id`,
      "pass a task's id as `flock task list` shows it",
      "ARGUMENT_NOT_INTEGER",
    );
  }
  const models = await publicClient(ctx).models.list({
    versions: options.all === true ? "all" : "latest",
    ...(taskId === undefined ? {} : { taskId }),
  });
  ctx.output.result(models, () =>
    models.length === 0
      ? "no model registered yet: an Arena task's winner is registered when its epoch settles it, a federated task's global model when it finishes"
      : table(
          ["id", "name", "version", "kind", "task", "metrics", "registered"],
          models.map((m) => [
            String(m.id),
            m.name,
            String(m.version),
            m.kind,
            String(m.taskId),
            metricsText(m.metrics),
            m.createdAt,
          ]),
        ),
  );
}

/** `flock models show <id>`: one version with its lineage. */
export async function runModelsShow(ctx: CommandContext, ref: string) {
  const m = await publicClient(ctx).models.get(modelRef(ref));
  const l = m.lineage;
  ctx.output.result(m, () => [
    `model ${m.name}@${m.version} (id ${m.id}, ${m.kind}, ${m.license})`,
    `artifact   ${m.artifact}`,
    `base model ${m.baseModel}`,
    `task       ${l.task.id} “${l.task.title}” (${l.task.kind}, ${l.task.type})`,
    `metrics    ${metricsText(m.metrics)}`,
    `trainers   ${l.trainers.join(", ") || "-"}`,
    ...(l.validators.length === 0
      ? []
      : [`validators ${l.validators.map((v) => `${v.account} ${v.score}`).join(", ")}`]),
    ...(l.rounds === undefined
      ? []
      : l.rounds.map(
          (r) =>
            `round ${r.round}  ${r.status}, ${r.proposers.length} proposers, ${r.voters.length} voters${r.contributions === undefined ? "" : `, values ${r.contributions.map((c) => `${c.account} ${c.valueWad}`).join(", ")}`}`,
        )),
    `datasets   ${l.datasets.join(", ") || "-"}`,
    `card: flock models card ${m.name}@${m.version}; files: flock models download ${m.name}@${m.version} --out DIR`,
  ]);
}

/** `flock models card <id>`: the Hugging Face model card (markdown with YAML front matter). */
export async function runModelsCard(ctx: CommandContext, ref: string) {
  const card = await publicClient(ctx).models.card(modelRef(ref));
  ctx.output.result({ card }, () => card.replace(/\n$/, ""));
}

/**
 * `flock models download <id> --out DIR`: the model's Hugging Face folder (README.md with the card, and the
 * config and weights files), each file checked against the sha256 the listing gives and written atomically.
 * With `--format onnx`: the model as one self-contained ONNX file, `DIR/model.onnx` (a LoRA adapter merged into
 * its base; `--seq-len N` fixes a decoder's sequence length, default its context length).
 */
export async function runModelsDownload(
  ctx: CommandContext,
  ref: string,
  options: { out?: string; format?: string; seqLen?: string },
) {
  if (options.out === undefined || options.out === "") {
    throw new UsageError(
      "flock models download needs --out DIR",
      "pass the folder to write the model's files into, e.g. --out ./my-model",
    );
  }
  const format = options.format ?? "hf";
  if (format !== "hf" && format !== "onnx") {
    throw new UsageError(
      `--format ${format} is not a download format`,
      "pass --format hf (the Hugging Face folder, the default) or --format onnx (one .onnx file)",
      "MODEL_FORMAT_UNKNOWN",
    );
  }
  const seqLen = options.seqLen === undefined ? undefined : Number(options.seqLen);
  if (seqLen !== undefined && (format !== "onnx" || !(Number.isSafeInteger(seqLen) && seqLen >= 1))) {
    throw new UsageError(
      format !== "onnx"
        ? "--seq-len goes with --format onnx"
        : `--seq-len ${options.seqLen} is not a positive integer`,
      "pass --format onnx --seq-len N with N up to the model's context length",
      "ARGUMENT_NOT_INTEGER",
    );
  }
  if (format === "onnx") {
    const bytes = await publicClient(ctx).models.onnx(modelRef(ref), seqLen === undefined ? {} : { seqLen });
    const out = resolve(options.out);
    await mkdir(out, { recursive: true });
    const target = join(out, "model.onnx");
    await writeFile(`${target}.part`, bytes);
    await rename(`${target}.part`, target);
    const file = { name: "model.onnx", size: bytes.byteLength, sha256: sha256Hex(bytes) };
    ctx.output.result({ model: ref, format, out, files: [file] }, () => [
      `wrote ${target} (${file.size} bytes, sha256 ${file.sha256})`,
      "inputs input_ids, attention_mask (int64 [batch, seq]) → logits; tabular models: features → logits or prediction",
    ]);
    return;
  }
  const client = publicClient(ctx);
  const checked = modelRef(ref);
  const listing = await client.models.files(checked);
  const out = resolve(options.out);
  await mkdir(out, { recursive: true });
  const written: { name: string; size: number }[] = [];
  for (const file of listing.files) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(file.name)) continue;
    const bytes = await client.models.file(String(listing.modelId), file.name);
    if (sha256Hex(bytes) !== file.sha256) {
      throw new FlockError(
        "MODEL_FILE_HASH_MISMATCH",
        `${file.name} does not hash to what the listing says`,
        {
          hint: "download again; if it persists the coordinator's copy is damaged, report it to its operator",
          details: { file: file.name, expected: file.sha256, actual: sha256Hex(bytes) },
        },
      );
    }
    const target = join(out, file.name);
    await writeFile(`${target}.part`, bytes);
    await rename(`${target}.part`, target);
    written.push({ name: file.name, size: bytes.byteLength });
  }
  ctx.output.result({ modelId: listing.modelId, layout: listing.layout, out, files: written }, () => [
    `wrote ${written.length} files of model ${listing.modelId} (${listing.layout}) to ${out}:`,
    ...written.map((f) => `  ${f.name}  ${f.size} bytes`),
  ]);
}
