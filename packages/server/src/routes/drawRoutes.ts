import { ConflictError, type wire } from "@flock/core";
import type { FastifyInstance } from "fastify";
import type { AppContext } from "../deps.ts";
import { errorResponses, idParamsSchema } from "../http/schemas.ts";
import { wireRef } from "../http/wireSchemas.ts";

/**
 * The validator draw of a task, public once the task is finalized (SPEC §2.1, a verifiable draw): the stake
 * snapshot whose block hash seeded it and every assignment in the order it was made, so anyone can re-run
 * `drawValidators` from the chain's frozen stakes and that hash and compare. Sealed while the task runs: who
 * validates what is nobody's business before the scores are in.
 */
export function registerDrawRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get<{ Params: { id: number } }>(
    "/tasks/:id/draw",
    {
      schema: {
        summary: "The task's stake snapshot and validator draw, public once it is finalized",
        tags: ["validation"],
        security: [],
        params: idParamsSchema,
        response: { 200: wireRef("Draw"), ...errorResponses },
      },
    },
    async (request) => {
      const task = await ctx.repos.tasks.get(request.params.id);
      if (task.status !== "finalized" && task.status !== "closed") {
        throw new ConflictError(
          "DRAW_SEALED",
          `task ${task.id} is ${task.status}; its draw is public once it is finalized`,
          {
            hint: "read the draw after the task's end (GET /tasks/:id shows its status)",
            details: { taskId: task.id, status: task.status },
          },
        );
      }
      const snapshot = await ctx.repos.snapshots.find(task.id);
      const assignments = (await ctx.repos.assignments.listForTask(task.id)).sort((a, b) => a.id - b.id);
      const submitters = new Map<number, string>();
      for (const a of assignments) {
        if (!submitters.has(a.submissionId)) {
          submitters.set(a.submissionId, (await ctx.repos.submissions.get(a.submissionId)).trainer);
        }
      }
      const draw: wire.Draw = {
        taskId: task.id,
        snapshot:
          snapshot === undefined
            ? null
            : {
                blockNumber: snapshot.blockNumber.toString(),
                blockHash: snapshot.blockHash,
                stakes: snapshot.stakes.map((s) => ({
                  account: s.account as wire.Address,
                  role: s.role,
                  amount: s.amount.toString(),
                })),
              },
        assignments: assignments.map((a) => ({
          id: a.id,
          submissionId: a.submissionId,
          submitter: submitters.get(a.submissionId)! as wire.Address,
          validator: a.validator as wire.Address,
          seed: a.seed,
          status: a.status,
        })),
      };
      return draw;
    },
  );
}
