import { NotFoundError, type wire } from "@flock/core";
import type { FastifyInstance } from "fastify";
import { signerOf } from "../auth/authHook.ts";
import type { AppContext } from "../deps.ts";
import { createFlTask } from "../fl/createFlTask.ts";
import {
  federatedTask,
  flMessageJson,
  joinFlTask,
  replyToMessage,
  requireCreator,
} from "../fl/flParticipation.ts";
import { flParticipantJson, flRoundJson, flStatusOf, flTaskJson } from "../fl/flTaskJson.ts";
import { binaryResponse, contentIdSchema, errorResponses, idParamsSchema } from "../http/schemas.ts";
import { sendArtifact } from "../http/sendArtifact.ts";
import { wireRef } from "../http/wireSchemas.ts";
import { countedStakes } from "../stakes/freezeStakes.ts";
import type { StakeIndexer } from "../stakes/stakeIndexer.ts";
import { openTask } from "../tasks/openTask.ts";

const MAX_WAIT_MS = 25_000;
/** A reply carries an update as base64 (a model of up to ~64 MB). */
const REPLY_BODY_LIMIT = 96 * 1024 * 1024;

/** FL Alliance routes (SPEC §2.2): federated tasks, joining, rounds, and the participants' message exchange. */
export function registerFlRoutes(app: FastifyInstance, ctx: AppContext, indexer: StakeIndexer): void {
  async function taskView(taskId: number): Promise<wire.FlTask> {
    const task = await federatedTask(ctx, taskId);
    const terms = await ctx.repos.fl.getTerms(taskId);
    const participants = await ctx.repos.fl.participants(taskId);
    return flTaskJson(task, terms, await ctx.repos.funding.find(taskId), participants.length);
  }

  app.post<{ Body: wire.CreateFlTaskRequest }>(
    "/fl/tasks",
    {
      config: { auth: true },
      schema: {
        summary:
          "Create a federated task (signed by its creator): a draft until its pool is funded on-chain and it is opened, or open at once for an operator's emission-paid task",
        tags: ["fl"],
        security: [{ flockSignature: [] }],
        body: wireRef("CreateFlTaskRequest"),
        response: { 201: wireRef("FlTask"), ...errorResponses },
      },
    },
    async (request, reply) => {
      const task = await createFlTask(ctx, signerOf(request), request.body);
      return reply.status(201).send(await taskView(task.id));
    },
  );

  app.post<{ Params: { id: number } }>(
    "/fl/tasks/:id/open",
    {
      config: { auth: true },
      schema: {
        summary: "Open a draft federated task (signed by its creator) once its pool is funded on-chain",
        tags: ["fl"],
        security: [{ flockSignature: [] }],
        params: idParamsSchema,
        response: { 200: wireRef("FlTask"), ...errorResponses },
      },
    },
    async (request) => {
      const task = await federatedTask(ctx, request.params.id);
      requireCreator(task, signerOf(request));
      await openTask(ctx, task.id);
      return taskView(task.id);
    },
  );

  app.get(
    "/fl/tasks",
    {
      schema: {
        summary: "List federated tasks",
        tags: ["fl"],
        response: {
          200: {
            type: "object",
            required: ["tasks"],
            properties: { tasks: { type: "array", items: wireRef("FlTask") } },
          },
          ...errorResponses,
        },
      },
    },
    async () => {
      const terms = await ctx.repos.fl.listTerms();
      return { tasks: await Promise.all(terms.map((t) => taskView(t.taskId))) };
    },
  );

  app.get<{ Params: { id: number } }>(
    "/fl/tasks/:id",
    {
      schema: {
        summary: "A federated task",
        tags: ["fl"],
        params: idParamsSchema,
        response: { 200: wireRef("FlTask"), ...errorResponses },
      },
    },
    async (request) => taskView(request.params.id),
  );

  app.post<{ Params: { id: number } }>(
    "/fl/tasks/:id/join",
    {
      config: { auth: true },
      schema: {
        summary:
          "Join a federated task (signed) after staking on it on-chain (TaskStaking.stake, role 1), before its join deadline",
        tags: ["fl"],
        security: [{ flockSignature: [] }],
        params: idParamsSchema,
        response: { 200: wireRef("FlParticipant"), ...errorResponses },
      },
    },
    async (request) => {
      const { participant, stake } = await joinFlTask(ctx, indexer, request.params.id, signerOf(request));
      return flParticipantJson(participant, stake);
    },
  );

  app.get<{ Params: { id: number } }>(
    "/fl/tasks/:id/participants",
    {
      schema: {
        summary:
          "A federated task's participants with their stakes (frozen at the join deadline once it passed)",
        tags: ["fl"],
        params: idParamsSchema,
        response: {
          200: {
            type: "object",
            required: ["participants"],
            properties: { participants: { type: "array", items: wireRef("FlParticipant") } },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      await federatedTask(ctx, request.params.id);
      const stakes = new Map(
        (await countedStakes(ctx.repos, request.params.id)).map((s) => [s.account, s.amount]),
      );
      const participants = await ctx.repos.fl.participants(request.params.id);
      return { participants: participants.map((p) => flParticipantJson(p, stakes.get(p.account) ?? 0n)) };
    },
  );

  app.get<{ Params: { id: number } }>(
    "/fl/tasks/:id/rounds",
    {
      schema: {
        summary: "A federated task's rounds: seeds, roles, candidates, votes (once decided) and outcomes",
        tags: ["fl"],
        params: idParamsSchema,
        response: {
          200: {
            type: "object",
            required: ["rounds"],
            properties: { rounds: { type: "array", items: wireRef("FlRound") } },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      await federatedTask(ctx, request.params.id);
      return { rounds: (await ctx.repos.fl.listRounds(request.params.id)).map(flRoundJson) };
    },
  );

  app.get<{ Params: { id: number; round: number } }>(
    "/fl/tasks/:id/rounds/:round",
    {
      schema: {
        summary: "One round of a federated task",
        tags: ["fl"],
        params: {
          type: "object",
          required: ["id", "round"],
          properties: {
            id: idParamsSchema.properties.id,
            round: { type: "integer", minimum: 1, maximum: 2_147_483_647 },
          },
        },
        response: { 200: wireRef("FlRound"), ...errorResponses },
      },
    },
    async (request) => {
      await federatedTask(ctx, request.params.id);
      return flRoundJson(await ctx.repos.fl.getRound(request.params.id, request.params.round));
    },
  );

  app.get<{ Params: { id: number }; Querystring: { waitMs?: number } }>(
    "/fl/tasks/:id/messages",
    {
      config: { auth: true },
      schema: {
        summary:
          "The caller's messages still waiting for its reply (signed); waits up to waitMs for one to arrive",
        tags: ["fl"],
        security: [{ flockSignature: [] }],
        params: idParamsSchema,
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: { waitMs: { type: "integer", minimum: 0, maximum: MAX_WAIT_MS } },
        },
        response: { 200: wireRef("FlMessages"), ...errorResponses },
      },
    },
    async (request) => {
      const taskId = request.params.id;
      await federatedTask(ctx, taskId);
      const account = signerOf(request);
      const until = Date.now() + (request.query.waitMs ?? 0);
      // One query per look while waiting; the task's status is read once a second (it ends a wait too).
      let statusReadAt = 0;
      let done = false;
      for (;;) {
        const messages = await ctx.repos.fl.pendingMessages(taskId, account, ctx.clock.now());
        if (Date.now() - statusReadAt >= 1000) {
          const status = (await ctx.repos.tasks.get(taskId)).status;
          done = status !== "open" && status !== "validating" && status !== "draft";
          statusReadAt = Date.now();
        }
        if (messages.length > 0 || done || Date.now() >= until || request.raw.destroyed) {
          const task = await ctx.repos.tasks.get(taskId);
          const terms = await ctx.repos.fl.getTerms(taskId);
          return {
            messages: messages.map(flMessageJson),
            taskStatus: flStatusOf(task),
            currentRound: terms.currentRound,
          };
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(250, Math.max(1, until - Date.now()))));
      }
    },
  );

  app.post<{ Params: { id: number; messageId: number }; Body: wire.FlReplyRequest }>(
    "/fl/tasks/:id/messages/:messageId/reply",
    {
      config: { auth: true },
      bodyLimit: REPLY_BODY_LIMIT,
      schema: {
        summary:
          "Answer one of the caller's messages (signed): a training update, an evaluation, a protocol step or an error — once, before its deadline",
        tags: ["fl"],
        security: [{ flockSignature: [] }],
        params: {
          type: "object",
          required: ["id", "messageId"],
          properties: {
            id: idParamsSchema.properties.id,
            messageId: { type: "integer", minimum: 1, maximum: 2_147_483_647 },
          },
        },
        body: wireRef("FlReplyRequest"),
        response: {
          200: { type: "object", required: ["accepted"], properties: { accepted: { type: "boolean" } } },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      await replyToMessage(ctx, request.params.id, request.params.messageId, signerOf(request), request.body);
      return { accepted: true };
    },
  );

  app.get<{ Params: { id: number; contentId: string } }>(
    "/fl/tasks/:id/arrays/:contentId",
    {
      schema: {
        summary:
          "A model of the task (its base model, a global model or a round's candidate) as safetensors; participants' own updates are never served",
        tags: ["fl"],
        params: {
          type: "object",
          required: ["id", "contentId"],
          properties: { id: idParamsSchema.properties.id, contentId: contentIdSchema },
        },
        response: { 200: binaryResponse, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { id, contentId } = request.params;
      const task = await federatedTask(ctx, id);
      const terms = await ctx.repos.fl.getTerms(id);
      const models = new Set<string>([task.baseModel, terms.globalModel]);
      for (const round of await ctx.repos.fl.listRounds(id)) {
        models.add(round.baseModel);
        if (round.candidateModel !== null) models.add(round.candidateModel);
        for (const c of round.coalitions) models.add(c.model);
      }
      // Whatever the coordinator sent in a message (never what a participant replied).
      if (!models.has(contentId)) {
        for (const m of await ctx.repos.fl.taskMessages(id)) if (m.arraysId !== null) models.add(m.arraysId);
      }
      if (!models.has(contentId)) {
        throw new NotFoundError("FL_MODEL_NOT_FOUND", `task ${id} has no model ${contentId}`, {
          hint: "fetch the arrays a message names, or the task's global model (GET /fl/tasks/:id)",
          details: { taskId: id, contentId },
        });
      }
      return sendArtifact(ctx, reply, contentId);
    },
  );
}
