import type { ScoreMetric, TrainerEvent, ValidatorEvent } from "@flock/node";
import type { CliIo } from "./io.ts";
import type { Output } from "./output.ts";
import { createProgress, type Progress } from "./progress.ts";

/** How a validator's score reads in its notes. */
const METRIC_LABEL: Record<ScoreMetric, string> = { bpc: "BPC", "log-loss": "log-loss", rmse: "RMSE" };

/** Progress bars for a trainer: one per download, per training run and per upload. */
export function trainerProgress(io: CliIo, output: Output, name: string): (event: TrainerEvent) => void {
  let bar: Progress | undefined;
  let upload: Progress | undefined;
  let download: Progress | undefined;
  return (event) => {
    switch (event.kind) {
      case "downloading":
        download ??= createProgress(io, `${name} downloading ${event.artifact}`, event.totalBytes, "bytes");
        download.update(event.bytes);
        if (event.bytes === event.totalBytes) {
          download.finish();
          download = undefined;
        }
        return;
      case "training":
        bar ??= createProgress(io, `${name} training task ${event.taskId}`, event.totalSteps, "steps");
        bar.update(event.step, `loss ${event.loss.toFixed(3)}`);
        if (event.step === event.totalSteps) {
          bar.finish(`loss ${event.loss.toFixed(3)}`);
          bar = undefined;
        }
        return;
      case "trained":
        output.note(`${name}: artifact ${event.artifactId.slice(0, 19)}… (${event.bytes} bytes)`);
        return;
      case "committed":
        output.note(`${name}: committed submission ${event.submissionId} to task ${event.taskId}`);
        return;
      case "uploading":
        upload ??= createProgress(io, `${name} upload`, event.totalBytes, "bytes");
        upload.update(event.bytes);
        if (event.bytes === event.totalBytes) {
          upload.finish();
          upload = undefined;
        }
        return;
      case "uploaded":
        output.note(`${name}: uploaded submission ${event.submissionId}: ${event.status}`);
        return;
      case "failed":
        output.note(`${name}: task ${event.taskId} failed: ${event.code} ${event.message}`);
        return;
      default:
        event satisfies never;
    }
  };
}

/** Progress bars for a validator: one per evaluation. */
export function validatorProgress(io: CliIo, output: Output, name: string): (event: ValidatorEvent) => void {
  let bar: Progress | undefined;
  return (event) => {
    switch (event.kind) {
      case "evaluating":
        bar ??= createProgress(
          io,
          `${name} evaluating #${event.assignmentId}`,
          event.totalBatches,
          "batches",
        );
        bar.update(event.batch);
        if (event.batch === event.totalBatches) {
          bar.finish();
          bar = undefined;
        }
        return;
      case "committed":
        // SPEC §2.1 commit-reveal: the score's hash now, the score itself once the task has ended.
        output.note(
          `${name}: submission ${event.submissionId} scored ${METRIC_LABEL[event.metric]} ${event.value.toFixed(4)} (committed; revealed after the task ends)`,
        );
        return;
      case "reported":
        output.note(
          `${name}: revealed ${METRIC_LABEL[event.metric]} ${event.value.toFixed(4)} for assignment ${event.assignmentId}`,
        );
        return;
      case "unrevealed":
        output.note(`${name}: assignment ${event.assignmentId} not revealed: ${event.code} ${event.message}`);
        return;
      case "refused":
        output.note(`${name}: refused submission ${event.submissionId}: ${event.code} ${event.message}`);
        return;
      case "failed":
        output.note(`${name}: assignment ${event.assignmentId} failed: ${event.code} ${event.message}`);
        return;
      default:
        event satisfies never;
    }
  };
}
