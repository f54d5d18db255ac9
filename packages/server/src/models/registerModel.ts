import type { FlRoundRecord, ModelKind, ModelLineage, ModelRecord, Task } from "@flock/store";
import type { AppContext } from "../deps.ts";
import { leaderboard } from "../epochs/leaderboard.ts";
import { storeLoraAdapterArtifact } from "../fl/loraTerms.ts";
import { countedStakes } from "../stakes/freezeStakes.ts";

/** The license of every model the network registers (its makers' work is published under it). */
export const MODEL_LICENSE = "apache-2.0";

/** The metric an Arena task's scores measure (its consensus score is this value in fixed point). */
export function metricNameOf(type: Task["type"]): string {
  switch (type) {
    case "lm-lora":
    case "lm-full":
      return "bits_per_byte";
    case "classifier":
      return "log_loss";
    case "regressor":
      return "rmse";
    default:
      throw new Error(`unknown task type ${JSON.stringify(type satisfies never)}`);
  }
}

/**
 * `flock/<type>-<slug of the title>` (`flock/fl-<type>-…` for a federated task): tasks of the same kind, type and
 * title make versions of one model.
 */
export function modelNameOf(task: Pick<Task, "type" | "title" | "kind">): string {
  const slug = task.title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 80)
    .replace(/-+$/g, "");
  const prefix = task.kind === "federated" ? "fl-" : "";
  return `flock/${prefix}${task.type}-${slug === "" ? "model" : slug}`;
}

function arenaKindOf(type: Task["type"]): ModelKind {
  if (type === "lm-lora") return "arena-lora";
  if (type === "lm-full") return "arena-full";
  return "arena-tabular";
}

const SCALE = 10n ** 18n;
/** A fixed-point score (1e18 = 1.0) as a float, for metrics (exact to the float's precision). */
function scoreToNumber(score: bigint): number {
  const sign = score < 0n ? -1 : 1;
  const magnitude = score < 0n ? -score : score;
  return sign * (Number(magnitude / SCALE) + Number(magnitude % SCALE) / 1e18);
}

/**
 * Register the model a finished task produced, once (idempotent by its artifact): an Arena task's winner (rank 0
 * of the consensus, its accepted submission) once its reveals are closed, or a federated task's final global
 * model once at least one round was accepted. Returns the registered version, or null when the task produced no
 * model (yet): an Arena task without a scored submission, a federated task with no accepted round.
 */
export async function registerTaskModel(ctx: AppContext, taskId: number): Promise<ModelRecord | null> {
  const task = await ctx.repos.tasks.get(taskId);
  if (task.status !== "finalized" && task.status !== "closed") return null;
  return task.kind === "federated" ? registerFlGlobalModel(ctx, task) : registerArenaWinner(ctx, task);
}

async function registerArenaWinner(ctx: AppContext, task: Task): Promise<ModelRecord | null> {
  const submissions = await ctx.repos.submissions.listAll({ taskId: task.id, status: "accepted" });
  const scores = await ctx.repos.scores.listForTask(task.id);
  const board = leaderboard(
    task,
    submissions,
    scores,
    await countedStakes(ctx.repos, task.id),
    await ctx.repos.scores.refereedForTask(task.id),
  );
  const winner = board.find((entry) => entry.rank === 0);
  if (winner === undefined || winner.consensusScore === null) return null;
  const submission = submissions.find((s) => s.id === winner.submissionId);
  if (submission?.artifactId == null) return null;
  const own = scores
    .filter((s) => s.submissionId === submission.id)
    .sort((a, b) => a.validator.localeCompare(b.validator));
  const lineage: ModelLineage = {
    task: { id: task.id, title: task.title, type: task.type, kind: "arena" },
    baseModel: task.baseModel,
    trainers: [submission.trainer],
    validators: own.map((s) => ({ account: s.validator, score: s.score.toString() })),
    consensusScore: winner.consensusScore.toString(),
    submissionId: submission.id,
    datasets: [task.trainingSetId],
  };
  return ctx.repos.models.register({
    name: modelNameOf(task),
    kind: arenaKindOf(task.type),
    taskId: task.id,
    baseModel: task.baseModel,
    artifact: submission.artifactId,
    license: MODEL_LICENSE,
    metrics: { [metricNameOf(task.type)]: scoreToNumber(winner.consensusScore) },
    lineage,
  });
}

function roundLineage(round: FlRoundRecord): NonNullable<ModelLineage["rounds"]>[number] {
  return {
    round: round.round,
    status: round.status,
    proposers: round.proposers.map((p) => p.account),
    contributors: round.contributors,
    voters: round.voters.map((v) => v.account),
    ...(round.contributions === null
      ? {}
      : {
          contributions: round.contributions.map((c) => ({
            account: c.account,
            valueWad: c.valueWad.toString(),
          })),
        }),
    model: round.candidateModel,
  };
}

async function registerFlGlobalModel(ctx: AppContext, task: Task): Promise<ModelRecord | null> {
  const terms = await ctx.repos.fl.getTerms(task.id);
  const rounds = await ctx.repos.fl.listRounds(task.id);
  const accepted = rounds.filter((r) => r.status === "accepted");
  const last = accepted.at(-1);
  if (last === undefined || terms.acceptedRounds === 0) return null;
  const trainers = [...new Set(accepted.flatMap((r) => r.contributors))].sort();
  const lineage: ModelLineage = {
    task: { id: task.id, title: task.title, type: task.type, kind: "federated" },
    baseModel: task.baseModel,
    trainers,
    validators: [],
    rounds: rounds.map(roundLineage),
    payRule: terms.payRule,
    // The participants' data never left them: no dataset is public.
    datasets: [],
  };
  return ctx.repos.models.register({
    name: modelNameOf(task),
    kind: "fl-global",
    taskId: task.id,
    baseModel: task.baseModel,
    // A LoRA federation's global arrays are kept as the adapter file the registry serves and converts.
    artifact:
      task.type === "lm-lora"
        ? await storeLoraAdapterArtifact(
            ctx,
            { baseModel: task.baseModel, trainConfig: terms.trainConfig },
            terms.globalModel,
          )
        : terms.globalModel,
    license: MODEL_LICENSE,
    metrics: Object.fromEntries(Object.entries(last.metrics).filter(([, v]) => Number.isFinite(v))),
    lineage,
  });
}
