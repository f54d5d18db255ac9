import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { FlockHome } from "../home.ts";
import { writeHomeFile } from "../homeFiles.ts";

/**
 * What the creator of a task knows and the network does not publish: the base model's BPC on the hidden
 * set (only the creator holds that set before the task is finalized). Kept per home, keyed by task id and
 * the hidden set's commitment so a record never describes another network's task of the same id.
 */
export interface CreatedTaskRecord {
  taskId: number;
  validationCommitment: string;
  /**
   * The base model's own score in the task's metric, as validators score submissions: BPC without an adapter
   * for a language task, log-loss for a classifier, RMSE for a regressor.
   */
  baseBpc: number;
}

function recordPath(home: FlockHome, taskId: number): string {
  return join(home.root, "tasks", `${taskId}.json`);
}

export function recordCreatedTask(home: FlockHome, record: CreatedTaskRecord): void {
  mkdirSync(join(home.root, "tasks"), { recursive: true });
  writeHomeFile(recordPath(home, record.taskId), `${JSON.stringify(record, null, 2)}\n`);
}

/** The record of a task this home created, if the commitment matches. */
export function createdTask(
  home: FlockHome,
  taskId: number,
  validationCommitment: string,
): CreatedTaskRecord | undefined {
  const path = recordPath(home, taskId);
  if (!existsSync(path)) return undefined;
  const record = JSON.parse(readFileSync(path, "utf8")) as CreatedTaskRecord;
  return record.validationCommitment === validationCommitment ? record : undefined;
}
