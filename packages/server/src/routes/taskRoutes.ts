import { ConflictError, NotImplementedError, ValidationError } from "@flock/core";
import { withTransaction } from "@flock/store";
import type { FastifyInstance } from "fastify";
import { signerOf } from "../auth/authHook.ts";
import type { AppContext } from "../deps.ts";
import {
  addressSchema,
  amountSchema,
  contentIdSchema,
  dateTimeSchema,
  errorResponses,
  idParamsSchema,
} from "../http/schemas.ts";
import { scheduleTaskDeadlines } from "../tasks/taskJobs.ts";
import { taskJson, taskSchema, taskStatuses, taskTypes } from "../tasks/taskJson.ts";

const createTaskBody = {
  type: "object",
  additionalProperties: false,
  required: [
    "title",
    "description",
    "type",
    "baseModel",
    "contextLength",
    "maxTrainableParams",
    "trainingSetId",
    "validationCommitment",
    "submissionDeadline",
    "endTime",
    "rewardWeight",
    "minStake",
    "minLockDays",
  ],
  properties: {
    title: { type: "string", minLength: 1, maxLength: 200 },
    description: { type: "string", maxLength: 10_000 },
    type: { type: "string", enum: taskTypes },
    baseModel: contentIdSchema,
    contextLength: { type: "integer", minimum: 1 },
    // An int8 column, read back as a JS number: at most 2^53 − 1, so the value read is the value stored.
    maxTrainableParams: { type: "integer", minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
    trainingSetId: contentIdSchema,
    validationCommitment: contentIdSchema,
    submissionDeadline: dateTimeSchema,
    endTime: dateTimeSchema,
    rewardWeight: amountSchema,
    minStake: amountSchema,
    minLockDays: { type: "integer", minimum: 0, maximum: 365 },
  },
} as const;

interface CreateTaskBody {
  title: string;
  description: string;
  type: (typeof taskTypes)[number];
  baseModel: string;
  contextLength: number;
  maxTrainableParams: number;
  trainingSetId: string;
  validationCommitment: string;
  submissionDeadline: string;
  endTime: string;
  rewardWeight: string;
  minStake: string;
  minLockDays: number;
}

/**
 * A task's public inputs must be published before it opens (trainers fetch them by content id), and its
 * hidden set must not be: a published set is not hidden (SPEC §2.1).
 */
async function requireTaskArtifacts(ctx: AppContext, body: CreateTaskBody): Promise<void> {
  for (const [field, id] of [
    ["baseModel", body.baseModel],
    ["trainingSetId", body.trainingSetId],
  ] as const) {
    const record = await ctx.repos.artifacts.find(id);
    if (record?.public !== true) {
      throw new ValidationError("TASK_ARTIFACT_NOT_PUBLISHED", `${field} ${id} is not a published artifact`, {
        hint: "publish it first with PUT /artifacts/<content id> (flock task create does this for you)",
        details: { field, id },
      });
    }
  }
  const hidden = await ctx.repos.artifacts.find(body.validationCommitment);
  if (hidden?.public === true) {
    throw new ValidationError(
      "VALIDATION_SET_PUBLIC",
      `the hidden set ${body.validationCommitment} is a published artifact`,
      {
        hint: "use a validation set nobody has seen: trainers could fit a published one",
        details: { validationCommitment: body.validationCommitment },
      },
    );
  }
}

/** Task routes: create (signed by the creator), list, get. */
export function registerTaskRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.post<{ Body: CreateTaskBody }>(
    "/tasks",
    {
      config: { auth: true },
      schema: {
        summary: "Create a task (signed by its creator); it opens once registered on-chain",
        tags: ["tasks"],
        security: [{ flockSignature: [] }],
        body: createTaskBody,
        response: { 201: taskSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const now = ctx.clock.now();
      const submissionDeadline = new Date(body.submissionDeadline);
      const endTime = new Date(body.endTime);
      if (submissionDeadline.getTime() <= now.getTime()) {
        throw new ValidationError("TASK_DEADLINE_PASSED", "the submission deadline is not in the future", {
          hint: "give a submissionDeadline after now",
          details: { submissionDeadline: body.submissionDeadline, now: now.toISOString() },
        });
      }
      if (endTime.getTime() - now.getTime() > ctx.config.maxTaskDurationMs) {
        throw new ValidationError("TASK_TOO_LONG", "the task would run longer than the network allows", {
          hint: `end the task within ${ctx.config.maxTaskDurationMs / 86_400_000} days of creating it`,
          details: { endTime: body.endTime, maxDurationMs: ctx.config.maxTaskDurationMs },
        });
      }
      if (body.type !== "lm-lora") {
        // The trainer and validator nodes train LoRA adapters and score BPC; other task types would be
        // trained and scored as if they were language tasks.
        throw new NotImplementedError(`training and scoring ${body.type} tasks`, {
          hint: "create an lm-lora task (LoRA fine-tuning of a language model, scored in bits per byte)",
          details: { type: body.type, supported: ["lm-lora"] },
        });
      }
      if (BigInt(body.rewardWeight) === 0n) {
        throw new ValidationError("TASK_WEIGHT_ZERO", "the reward weight is zero", {
          hint: "give a positive reward weight: emissions split over tasks by weight",
        });
      }
      await requireTaskArtifacts(ctx, body);
      // SPEC §2.1: a hidden set is revealed after finalization for audits, so a set any task committed to
      // (or uploaded) is known or about to be; scoring on it again would reward memorizing it.
      const [earlier] = await ctx.repos.tasks.usingHiddenSet(body.validationCommitment);
      if (earlier !== undefined) {
        throw new ConflictError(
          "VALIDATION_SET_REUSED",
          `task ${earlier.id} already used the hidden set ${body.validationCommitment}`,
          {
            hint: "commit to a new hidden validation set that no task has used",
            details: { validationCommitment: body.validationCommitment, taskId: earlier.id },
          },
        );
      }
      const draft = await ctx.repos.tasks.create({
        ...body,
        submissionDeadline,
        endTime,
        rewardWeight: BigInt(body.rewardWeight),
        minStake: BigInt(body.minStake),
        creator: signerOf(request),
      });
      // The chain is called outside any transaction; a task the chain refused stays a draft.
      await ctx.chain.registerTask({
        taskId: draft.id,
        minStake: draft.minStake,
        minLockDays: draft.minLockDays,
        submissionDeadline: draft.submissionDeadline,
        endTime: draft.endTime,
      });
      const task = await withTransaction(ctx.db, async (tx) => {
        const opened = await tx.tasks.transition(draft.id, "open");
        await scheduleTaskDeadlines(tx, opened, ctx.config.revealWindowMs);
        await tx.events.append("task.created", { taskId: opened.id, creator: opened.creator });
        return opened;
      });
      return reply.status(201).send(taskJson(task));
    },
  );

  app.get<{
    Querystring: { status?: (typeof taskStatuses)[number]; creator?: string; limit?: number; after?: number };
  }>(
    "/tasks",
    {
      schema: {
        summary: "List tasks, oldest first, one page at a time",
        tags: ["tasks"],
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            status: { type: "string", enum: taskStatuses },
            creator: addressSchema,
            limit: { type: "integer", minimum: 1, maximum: 500 },
            after: { type: "integer", minimum: 0 },
          },
        },
        response: {
          200: {
            type: "object",
            required: ["items"],
            properties: { items: { type: "array", items: taskSchema }, next: { type: "integer" } },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const page = await ctx.repos.tasks.list(request.query);
      return { items: page.items.map(taskJson), ...(page.next === undefined ? {} : { next: page.next }) };
    },
  );

  app.get<{ Params: { id: number } }>(
    "/tasks/:id",
    {
      schema: {
        summary: "One task",
        tags: ["tasks"],
        params: idParamsSchema,
        response: { 200: taskSchema, ...errorResponses },
      },
    },
    async (request) => taskJson(await ctx.repos.tasks.get(request.params.id)),
  );
}
