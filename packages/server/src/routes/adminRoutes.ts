import { AuthError } from "@flock/core";
import type { Job } from "@flock/store";
import type { FastifyInstance } from "fastify";
import { signerOf } from "../auth/authHook.ts";
import type { AppContext } from "../deps.ts";
import { errorResponses, idParamsSchema } from "../http/schemas.ts";
import { jobTaskId } from "../scheduler/scheduler.ts";

const jobStatuses = ["pending", "running", "failed"] as const;

const jobSchema = {
  type: "object",
  required: ["id", "kind", "status", "attempts", "runAt", "errorCode", "lastError"],
  properties: {
    id: { type: "integer" },
    kind: { type: "string" },
    status: { type: "string", enum: ["pending", "running", "done", "failed"] },
    taskId: { type: "integer" },
    attempts: { type: "integer" },
    runAt: { type: "string", format: "date-time" },
    errorCode: { type: ["string", "null"] },
    lastError: { type: ["string", "null"] },
  },
} as const;

function jobJson(job: Job) {
  const taskId = jobTaskId(job);
  return {
    id: job.id,
    kind: job.kind,
    status: job.status,
    ...(taskId === undefined ? {} : { taskId }),
    attempts: job.attempts,
    runAt: job.runAt.toISOString(),
    errorCode: job.errorCode,
    lastError: job.lastError,
  };
}

/**
 * The operator's view of the coordinator's jobs: list those not done (a failed one names the error that stopped
 * it and the task it blocks), and run a failed one again once its cause is fixed. Retrying is signed by an
 * account holding the operator role on-chain, or by the coordinator's own account.
 */
export function registerAdminRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get<{ Querystring: { status?: (typeof jobStatuses)[number] } }>(
    "/admin/jobs",
    {
      schema: {
        summary: "Jobs not done: failed (stopped for the operator) by default, or pending or running",
        tags: ["admin"],
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: { status: { type: "string", enum: jobStatuses } },
        },
        response: {
          200: {
            type: "object",
            required: ["items"],
            properties: { items: { type: "array", items: jobSchema } },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => ({
      items: (await ctx.repos.jobs.list({ status: request.query.status ?? "failed" })).map(jobJson),
    }),
  );

  app.post<{ Params: { id: number } }>(
    "/admin/jobs/:id/retry",
    {
      config: { auth: true },
      schema: {
        summary: "Run a failed job again now (signed by an operator or the coordinator)",
        tags: ["admin"],
        security: [{ flockSignature: [] }],
        params: idParamsSchema,
        response: { 200: jobSchema, ...errorResponses },
      },
    },
    async (request) => {
      const signer = signerOf(request);
      if (signer !== ctx.chain.coordinator && !(await ctx.chain.isOperator(signer))) {
        throw new AuthError("NOT_OPERATOR", `${signer} holds no operator role`, {
          hint: "sign with an account holding the operator role (the network's admin on a local network: --account admin)",
          details: { account: signer },
        });
      }
      const job = await ctx.repos.jobs.retry(request.params.id, ctx.clock.now());
      await ctx.repos.events.append("job.retried", { jobId: job.id, kind: job.kind, by: signer });
      ctx.logger.info({ jobId: job.id, kind: job.kind, by: signer }, "job retried by the operator");
      return jobJson(job);
    },
  );
}
