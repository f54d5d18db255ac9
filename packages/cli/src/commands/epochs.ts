import { SCORE_DECIMALS } from "@flock/protocol";
import type { CommandContext } from "../context.ts";
import { createdTask } from "../network/createdTasks.ts";
import { table } from "../output.ts";
import { publicClient } from "./task.ts";
import { parseInteger } from "./wallet.ts";

/** `flock epochs`: every settled epoch, its task and where its root was posted (audit one with `flock audit`). */
export async function runEpochs(ctx: CommandContext) {
  const epochs = await publicClient(ctx).epochs.list();
  ctx.output.result(epochs, () =>
    epochs.length === 0
      ? "no epoch settled yet: a task settles after its end time (see `flock task list`)"
      : [
          table(
            ["epoch", "tasks", "mint", "posted", "transaction", "report"],
            epochs.map((e) => [
              String(e.number),
              e.tasks.length === 0 ? "-" : e.tasks.join(", "),
              e.mintIndex ?? "-",
              e.postedAt ?? "not yet",
              e.txHash === null ? "-" : `${e.txHash.slice(0, 18)}…`,
              `${e.reportId.slice(0, 19)}…`,
            ]),
          ),
          "recompute one with `flock audit <epoch>`; claim rewards with `flock claim`",
        ],
  );
}

/** The metric a task type is ranked by (SPEC §2.1), as the leaderboard names it; every one is lower-is-better. */
const METRIC_OF_TYPE: Record<string, string> = {
  "lm-lora": "BPC",
  "lm-full": "BPC",
  classifier: "log-loss",
  regressor: "RMSE",
};

/**
 * `flock task leaderboard <id>`: the task's ranked submissions by consensus score (lower is better): BPC for
 * language tasks, log-loss for classifiers, RMSE for regressors. The JSON keeps the value under `bpc`.
 */
export async function runTaskLeaderboard(ctx: CommandContext, idText: string) {
  const id = parseInteger(idText, "task");
  const client = publicClient(ctx);
  const task = await client.tasks.get(id);
  const board = await client.tasks.leaderboard(id);
  // The base model's own score is known to the home that created the task (it holds the hidden set).
  const baseBpc = createdTask(ctx.home, id, task.validationCommitment)?.baseBpc ?? null;
  const lines = board.map((e) => {
    const bpc = e.consensusScore === null ? null : Number(e.consensusScore) / 10 ** SCORE_DECIMALS;
    return { ...e, bpc, improvement: bpc === null || baseBpc === null ? null : baseBpc - bpc };
  });
  const metric = METRIC_OF_TYPE[task.type] ?? "score";
  const result = {
    task: { id: task.id, title: task.title, status: task.status, type: task.type, metric },
    baseBpc,
    leaderboard: lines,
  };
  ctx.output.result(result, () => [
    `task ${id}: ${task.title} (${task.status}); consensus ${metric} on the hidden set, lower is better`,
    baseBpc === null
      ? "base model score: known only to the task's creator (shown in the home that ran `flock task create`)"
      : `base model ${task.type === "lm-lora" ? "without an adapter" : "untrained"}: ${baseBpc.toFixed(4)} ${metric}; improvement = base − entry`,
    lines.length === 0
      ? "no scored submission yet"
      : table(
          ["rank", "submission", "trainer", metric, "improvement", "reports"],
          lines.map((l) => [
            l.rank === null ? "-" : String(l.rank + 1),
            String(l.submissionId),
            l.trainer,
            l.bpc === null ? "-" : l.bpc.toFixed(4),
            l.improvement === null ? "-" : `${l.improvement >= 0 ? "+" : ""}${l.improvement.toFixed(4)}`,
            String(l.reports),
          ]),
        ),
  ]);
}
