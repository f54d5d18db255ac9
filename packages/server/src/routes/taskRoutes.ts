import { AuthError, type wire } from "@flock/core";
import type { FastifyInstance } from "fastify";
import { signerOf } from "../auth/authHook.ts";
import type { AppContext } from "../deps.ts";
import { addressSchema, errorResponses, idParamsSchema } from "../http/schemas.ts";
import { wireRef } from "../http/wireSchemas.ts";
import { approveTask } from "../tasks/approveTask.ts";
import { cancelTask } from "../tasks/cancelTask.ts";
import { createTask } from "../tasks/createTask.ts";
import { openTask } from "../tasks/openTask.ts";
import { taskJson, taskStatuses } from "../tasks/taskJson.ts";

/** Task routes: create (signed by the creator), open, approve (an operator), list, get. */
export function registerTaskRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.post<{ Body: wire.CreateTaskRequest }>(
    "/tasks",
    {
      config: { auth: true },
      schema: {
        summary:
          "Create a task (signed by its creator): an operator's emission-paid task opens at once; any other is a draft until its pool is funded on-chain and it is opened",
        tags: ["tasks"],
        security: [{ flockSignature: [] }],
        body: wireRef("CreateTaskRequest"),
        response: { 201: wireRef("Task"), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { task, funding } = await createTask(ctx, signerOf(request), request.body);
      return reply.status(201).send(taskJson(task, funding));
    },
  );

  app.post<{ Params: { id: number } }>(
    "/tasks/:id/open",
    {
      config: { auth: true },
      schema: {
        summary:
          "Open a draft task (signed by its creator) once its pool is funded on-chain or its emission weight approved",
        tags: ["tasks"],
        security: [{ flockSignature: [] }],
        params: idParamsSchema,
        response: { 200: wireRef("Task"), ...errorResponses },
      },
    },
    async (request) => {
      const draft = await ctx.repos.tasks.get(request.params.id);
      if (signerOf(request) !== draft.creator) {
        throw new AuthError("NOT_CREATOR", `only task ${draft.id}'s creator may open it`, {
          hint: "sign the request with the key that created the task",
          details: { taskId: draft.id },
        });
      }
      const task = await openTask(ctx, draft.id);
      return taskJson(task, await ctx.repos.funding.find(task.id));
    },
  );

  app.post<{ Params: { id: number } }>(
    "/tasks/:id/cancel",
    {
      config: { auth: true },
      schema: {
        summary:
          "Cancel a draft that never opened (signed by its creator): its funded pool is cancelled on-chain and each funder takes back what it put in (RewardDistributor.refundTaskFunding)",
        tags: ["tasks"],
        security: [{ flockSignature: [] }],
        params: idParamsSchema,
        response: { 200: wireRef("Task"), ...errorResponses },
      },
    },
    async (request) => {
      const task = await cancelTask(ctx, signerOf(request), request.params.id);
      return taskJson(task, await ctx.repos.funding.find(task.id));
    },
  );

  app.post<{ Params: { id: number }; Body: wire.ApproveTaskRequest }>(
    "/tasks/:id/approve",
    {
      config: { auth: true },
      schema: {
        summary: "Approve a task's emission weight (signed by an operator: TaskStaking's OPERATOR_ROLE)",
        tags: ["tasks"],
        security: [{ flockSignature: [] }],
        params: idParamsSchema,
        body: wireRef("ApproveTaskRequest"),
        response: { 200: wireRef("Task"), ...errorResponses },
      },
    },
    async (request) => {
      const funding = await approveTask(
        ctx,
        signerOf(request),
        request.params.id,
        BigInt(request.body.weight),
      );
      return taskJson(await ctx.repos.tasks.get(request.params.id), funding);
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
            properties: { items: { type: "array", items: wireRef("Task") }, next: { type: "integer" } },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      // Federated tasks are listed by GET /fl/tasks.
      const page = await ctx.repos.tasks.list({ ...request.query, kind: "arena" });
      const items = [];
      for (const task of page.items) items.push(taskJson(task, await ctx.repos.funding.find(task.id)));
      return { items, ...(page.next === undefined ? {} : { next: page.next }) };
    },
  );

  app.get<{ Params: { id: number } }>(
    "/tasks/:id",
    {
      schema: {
        summary: "One task",
        tags: ["tasks"],
        params: idParamsSchema,
        response: { 200: wireRef("Task"), ...errorResponses },
      },
    },
    async (request) => {
      const task = await ctx.repos.tasks.get(request.params.id);
      return taskJson(task, await ctx.repos.funding.find(task.id));
    },
  );
}
