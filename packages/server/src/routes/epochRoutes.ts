import { NotFoundError } from "@flock/core";
import type { Epoch, Reward } from "@flock/store";
import type { FastifyInstance } from "fastify";
import type { AppContext } from "../deps.ts";
import { leaderboard } from "../epochs/leaderboard.ts";
import { addressSchema, errorResponses, idParamsSchema, jsonDocumentResponse } from "../http/schemas.ts";
import { countedStakes } from "../stakes/freezeStakes.ts";

const hash32 = { type: "string", pattern: "^0x[0-9a-f]{64}$" } as const;

const epochSchema = {
  type: "object",
  required: [
    "number",
    "tasks",
    "mintIndex",
    "reportId",
    "reportHash",
    "liquidRoot",
    "vestingRoot",
    "txHash",
    "postedAt",
  ],
  properties: {
    number: { type: "integer" },
    /** The tasks this network-wide epoch settled. */
    tasks: { type: "array", items: { type: "integer" } },
    /** The emission mint that funds it (decimal), or null when it pays from task pools only. */
    mintIndex: { type: ["string", "null"] },
    reportId: { type: "string" },
    reportHash: hash32,
    liquidRoot: hash32,
    vestingRoot: hash32,
    txHash: { type: ["string", "null"] },
    postedAt: { type: ["string", "null"], format: "date-time" },
  },
} as const;

const claimSchema = {
  type: ["object", "null"],
  required: ["amount", "proof"],
  properties: { amount: { type: "string" }, proof: { type: "array", items: hash32 } },
} as const;

function epochJson(epoch: Epoch) {
  return {
    number: epoch.number,
    tasks: epoch.tasks,
    mintIndex: epoch.mintIndex?.toString() ?? null,
    reportId: epoch.reportId,
    reportHash: epoch.reportHash,
    liquidRoot: epoch.liquidRoot,
    vestingRoot: epoch.vestingRoot,
    txHash: epoch.txHash,
    postedAt: epoch.postedAt?.toISOString() ?? null,
  };
}

const epochParams = {
  type: "object",
  required: ["n"],
  properties: { n: { type: "integer", minimum: 1 } },
} as const;

/** Epoch routes (reports, proofs for claims) and the task leaderboard. */
export function registerEpochRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get<{ Querystring: { taskId?: number } }>(
    "/epochs",
    {
      schema: {
        summary: "Settled epochs, oldest first",
        tags: ["epochs"],
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: { taskId: { type: "integer" } },
        },
        response: {
          200: {
            type: "object",
            required: ["items"],
            properties: { items: { type: "array", items: epochSchema } },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => ({ items: (await ctx.repos.epochs.list(request.query)).map(epochJson) }),
  );

  app.get<{ Params: { n: number } }>(
    "/epochs/:n",
    {
      schema: {
        summary: "One epoch: its report hash, Merkle roots and settlement transaction",
        tags: ["epochs"],
        params: epochParams,
        response: { 200: epochSchema, ...errorResponses },
      },
    },
    async (request) => epochJson(await ctx.repos.epochs.get(request.params.n)),
  );

  app.get<{ Params: { n: number } }>(
    "/epochs/:n/report",
    {
      schema: {
        summary:
          "The epoch report's canonical JSON, byte for byte as hashed (recompute it with @flock/protocol)",
        tags: ["epochs"],
        params: epochParams,
        response: { 200: jsonDocumentResponse, ...errorResponses },
      },
    },
    async (request, reply) => {
      const epoch = await ctx.repos.epochs.get(request.params.n);
      const bytes = await ctx.artifacts.read(epoch.reportId);
      return reply.header("content-type", "application/json").send(Buffer.from(bytes));
    },
  );

  app.get<{ Params: { n: number; account: string } }>(
    "/epochs/:n/proofs/:account",
    {
      schema: {
        summary: "An account's claimable amounts in the epoch's liquid and vesting trees, with Merkle proofs",
        tags: ["epochs"],
        params: {
          type: "object",
          required: ["n", "account"],
          properties: { n: { type: "integer", minimum: 1 }, account: addressSchema },
        },
        response: {
          200: {
            type: "object",
            required: ["epoch", "account", "liquid", "vesting"],
            properties: {
              epoch: { type: "integer" },
              account: addressSchema,
              liquid: claimSchema,
              vesting: claimSchema,
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { n } = request.params;
      const account = request.params.account.toLowerCase();
      await ctx.repos.epochs.get(n);
      const rewards = (await ctx.repos.rewards.listForAccount(account)).filter((r) => r.epoch === n);
      if (rewards.length === 0) {
        throw new NotFoundError("REWARD_NOT_FOUND", `${account} has nothing to claim in epoch ${n}`, {
          hint: "only accounts with a positive amount have a leaf in the epoch's trees",
          details: { epoch: n, account },
        });
      }
      const claim = (tree: Reward["tree"]) => {
        const reward = rewards.find((r) => r.tree === tree);
        return reward === undefined ? null : { amount: reward.amount.toString(), proof: reward.proof };
      };
      return { epoch: n, account, liquid: claim("liquid"), vesting: claim("vesting") };
    },
  );

  app.get<{ Params: { id: number } }>(
    "/tasks/:id/leaderboard",
    {
      schema: {
        summary: "A task's accepted submissions ranked by consensus score (rank 0 is the best)",
        tags: ["tasks"],
        params: idParamsSchema,
        response: {
          200: {
            type: "object",
            required: ["taskId", "items"],
            properties: {
              taskId: { type: "integer" },
              items: {
                type: "array",
                items: {
                  type: "object",
                  required: ["rank", "submissionId", "trainer", "consensusScore", "reports"],
                  properties: {
                    rank: { type: ["integer", "null"] },
                    submissionId: { type: "integer" },
                    trainer: addressSchema,
                    consensusScore: { type: ["string", "null"] },
                    reports: { type: "integer" },
                  },
                },
              },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const task = await ctx.repos.tasks.get(request.params.id);
      const entries = leaderboard(
        task,
        await ctx.repos.submissions.listAll({ taskId: task.id, status: "accepted" }),
        await ctx.repos.scores.listForTask(task.id),
        await countedStakes(ctx.repos, task.id),
        await ctx.repos.scores.refereedForTask(task.id),
      );
      return {
        taskId: task.id,
        items: entries.map((e) => ({ ...e, consensusScore: e.consensusScore?.toString() ?? null })),
      };
    },
  );
}
