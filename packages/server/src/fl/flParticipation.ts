import { AuthError, ConflictError, NotFoundError, ValidationError, type wire } from "@flock/core";
import { decodeArrays, fromBase64 } from "@flock/fl";
import type { FlMessageRecord, FlParticipantRecord, Task } from "@flock/store";
import type { AppContext } from "../deps.ts";
import { requireStake } from "../stakes/requireStake.ts";
import type { StakeIndexer } from "../stakes/stakeIndexer.ts";
import { checkReveal } from "./coalitions.ts";
import type { StoredReply } from "./networkGrid.ts";

/** A task of kind federated, or FL_TASK_NOT_FOUND. */
export async function federatedTask(ctx: AppContext, taskId: number): Promise<Task> {
  const task = await ctx.repos.tasks.find(taskId);
  if (task === undefined || task.kind !== "federated") {
    throw new NotFoundError("FL_TASK_NOT_FOUND", `federated task ${taskId} does not exist`, {
      hint: "list federated tasks (GET /fl/tasks) to find a valid id",
      details: { taskId },
    });
  }
  return task;
}

/**
 * Join a federated task (SPEC §2.2: participants join with stake): the task is open, the join deadline not
 * passed, the participant staked at least the task's minimum on-chain (TaskStaking.stake, role trainer — one
 * participant role on FL tasks), and the task not full. Joining twice returns the first join.
 */
export async function joinFlTask(
  ctx: AppContext,
  indexer: StakeIndexer,
  taskId: number,
  account: string,
): Promise<{ participant: FlParticipantRecord; stake: bigint }> {
  const task = await federatedTask(ctx, taskId);
  const terms = await ctx.repos.fl.getTerms(taskId);
  const now = ctx.clock.now();
  if (task.status !== "open" || now.getTime() >= task.submissionDeadline.getTime()) {
    throw new ConflictError("FL_JOIN_CLOSED", `task ${taskId} takes no new participants (${task.status})`, {
      hint:
        task.status === "draft"
          ? "wait for its creator to fund and open it"
          : "join a task before its join deadline; list open ones with GET /fl/tasks",
      details: { taskId, status: task.status, joinDeadline: task.submissionDeadline.toISOString() },
    });
  }
  const stake = await requireStake(ctx, indexer, { taskId, account, role: "trainer" });
  const joined = await ctx.repos.fl.participants(taskId);
  if (!joined.some((p) => p.account === account) && joined.length >= terms.maxParticipants) {
    throw new ConflictError("FL_TASK_FULL", `task ${taskId} has its ${terms.maxParticipants} participants`, {
      hint: "join another task; this one is full",
      details: { taskId, maxParticipants: terms.maxParticipants },
    });
  }
  const participant = await ctx.repos.fl.join(taskId, account, now);
  await ctx.repos.events.append("fl.joined", { taskId, account });
  return { participant, stake: stake.amount };
}

/** The wire form of a message to its node. */
export function flMessageJson(m: FlMessageRecord): wire.FlMessage {
  return {
    id: m.id,
    taskId: m.taskId,
    round: m.round,
    stage: m.stage,
    kind: m.kind,
    arrays: m.arraysId as wire.FlMessage["arrays"],
    config: m.config,
    body: m.body,
    deadline: m.deadline.toISOString(),
  };
}

/**
 * A participant's reply to one of its messages: exactly one answer, of the message's kind; a training update's
 * arrays must decode and have the global model's names and shapes (checked again by the strategy). The update is
 * stored content-addressed and the reply keeps its id. Replayed, late or foreign replies are refused by the
 * store (FL_REPLY_EXISTS, FL_REPLY_LATE, FL_MESSAGE_NOT_FOUND) and change nothing.
 */
export async function replyToMessage(
  ctx: AppContext,
  taskId: number,
  messageId: number,
  account: string,
  body: wire.FlReplyRequest,
): Promise<FlMessageRecord> {
  await federatedTask(ctx, taskId);
  const message = await ctx.repos.fl.findMessage(messageId);
  if (message === undefined || message.taskId !== taskId || message.node !== account) {
    throw new NotFoundError(
      "FL_MESSAGE_NOT_FOUND",
      `there is no message ${messageId} for ${account} in task ${taskId}`,
      {
        hint: "reply only to the messages GET /fl/tasks/:id/messages gave you",
        details: { taskId, messageId },
      },
    );
  }
  const answers = (["update", "evaluation", "body", "error"] as const).filter((k) => body[k] !== undefined);
  if (answers.length !== 1) {
    throw new ValidationError(
      "FL_REPLY_INVALID",
      `a reply carries exactly one answer, got ${answers.join(", ") || "none"}`,
      {
        hint: "send update (train), evaluation (evaluate), body (exchange) or error",
        details: { messageId, kind: message.kind },
      },
    );
  }
  const answer = answers[0]!;
  const expected = { train: "update", evaluate: "evaluation", exchange: "body" }[message.kind];
  if (answer !== "error" && answer !== expected) {
    throw new ValidationError(
      "FL_REPLY_MISMATCH",
      `a ${message.kind} message takes ${expected}, not ${answer}`,
      {
        hint: `answer message ${messageId} with ${expected}`,
        details: { messageId, kind: message.kind },
      },
    );
  }
  let stored: StoredReply;
  if (body.update !== undefined) {
    const bytes = fromBase64(body.update.arrays);
    let arrays: ReturnType<typeof decodeArrays>["arrays"];
    try {
      arrays = decodeArrays(bytes).arrays;
    } catch (cause) {
      throw new ValidationError("FL_UPDATE_MALFORMED", "the update's arrays are not float32 safetensors", {
        hint: "encode the update with @flock/fl's encodeArrays and send it base64",
        cause,
      });
    }
    if (message.arraysId !== null) {
      const global = decodeArrays(await ctx.artifacts.read(message.arraysId)).arrays;
      const same =
        global.size === arrays.size &&
        [...global].every(([name, p]) => arrays.get(name)?.shape.join(",") === p.shape.join(","));
      if (!same) {
        throw new ValidationError(
          "FL_UPDATE_LAYOUT",
          "the update's arrays do not have the global model's names and shapes",
          {
            hint: "train from the arrays the message sent and return every one of them",
            details: { messageId },
          },
        );
      }
    }
    const put = await ctx.artifacts.put(bytes, { maxBytes: bytes.byteLength });
    await ctx.repos.artifacts.record({ id: put.id, size: put.size, mediaType: "application/octet-stream" });
    stored = {
      update: { arraysId: put.id, numExamples: body.update.numExamples, metrics: body.update.metrics },
    };
  } else if (body.evaluation !== undefined) {
    stored = { evaluation: body.evaluation };
  } else if (body.body !== undefined) {
    await checkReveal(ctx, message, body.body);
    stored = { body: body.body };
  } else {
    stored = { error: body.error! };
  }
  const replied = await ctx.repos.fl.reply(
    messageId,
    account,
    stored as Record<string, unknown>,
    ctx.clock.now(),
  );
  return replied;
}

/** Only a task's creator may open it. */
export function requireCreator(task: Task, signer: string): void {
  if (signer !== task.creator) {
    throw new AuthError("NOT_CREATOR", `only task ${task.id}'s creator may open it`, {
      hint: "sign the request with the key that created the task",
      details: { taskId: task.id },
    });
  }
}
