import { NotFoundError, type wire } from "@flock/core";
import { type Epoch, type Reward, UsageSettlementRepository } from "@flock/store";
import type { FastifyInstance } from "fastify";
import type { AppContext } from "../deps.ts";
import { leaderboard } from "../epochs/leaderboard.ts";
import { addressSchema, errorResponses, idParamsSchema, jsonDocumentResponse } from "../http/schemas.ts";
import { wireRef } from "../http/wireSchemas.ts";
import { countedStakes } from "../stakes/freezeStakes.ts";

/** The wire form of an epoch (core's `wire.Epoch`). */
function epochJson(epoch: Epoch): wire.Epoch {
  return {
    number: epoch.number,
    tasks: epoch.tasks,
    mintIndex: epoch.mintIndex?.toString() ?? null,
    reportId: epoch.reportId as wire.ContentId,
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
            properties: { items: { type: "array", items: wireRef("Epoch") } },
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
        response: { 200: wireRef("Epoch"), ...errorResponses },
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
        response: { 200: wireRef("EpochProofs"), ...errorResponses },
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
      const claim = (tree: Reward["tree"]): wire.Claim | null => {
        const reward = rewards.find((r) => r.tree === tree);
        return reward === undefined ? null : { amount: reward.amount.toString(), proof: reward.proof };
      };
      const proofs: wire.EpochProofs = {
        epoch: n,
        account: account as wire.Address,
        liquid: claim("liquid"),
        vesting: claim("vesting"),
      };
      return proofs;
    },
  );

  app.get<{ Params: { n: number } }>(
    "/epochs/:n/usage",
    {
      schema: {
        summary:
          "The usage an epoch collected: per payer (its on-chain UsageCharged amount) and per served model version",
        tags: ["epochs"],
        params: epochParams,
        response: { 200: wireRef("EpochUsage"), ...errorResponses },
      },
    },
    async (request) => {
      const { n } = request.params;
      await ctx.repos.epochs.get(n);
      const usage = await new UsageSettlementRepository(ctx.db).collectedIn(n);
      const body: wire.EpochUsage = {
        epoch: n,
        total: usage.total.toString(),
        byAccount: usage.byAccount.map((a) => ({
          account: a.account as wire.Address,
          amount: a.amount.toString(),
          records: a.records,
        })),
        byModel: usage.byModel.map((m) => ({
          model: m.model,
          modelId: m.modelId,
          amount: m.amount.toString(),
          records: m.records,
          tokens: m.tokens.toString(),
        })),
      };
      return body;
    },
  );

  app.get<{ Params: { id: number } }>(
    "/tasks/:id/leaderboard",
    {
      schema: {
        summary: "A task's accepted submissions ranked by consensus score (rank 0 is the best)",
        tags: ["tasks"],
        params: idParamsSchema,
        response: { 200: wireRef("Leaderboard"), ...errorResponses },
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
      const board: wire.Leaderboard = {
        taskId: task.id,
        items: entries.map((e) => ({
          rank: e.rank,
          submissionId: e.submissionId,
          trainer: e.trainer as wire.Address,
          consensusScore: e.consensusScore?.toString() ?? null,
          reports: e.reports,
        })),
      };
      return board;
    },
  );
}
