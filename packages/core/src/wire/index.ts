/**
 * The coordinator's wire types, defined once (answers, and the request bodies of `requests.ts`): the server's route schemas reference them (each registered under
 * its `$id`, so the OpenAPI document names it in `components.schemas`) and the SDK parses answers as their
 * `Static` types. Each is a JSON Schema (TypeBox) and, under the same name, its TypeScript type.
 */
import { Assignment } from "./assignment.ts";
import { Draw } from "./draw.ts";
import { Claim, Epoch, EpochProofs, EpochUsage } from "./epoch.ts";
import { ErrorBody } from "./errorBody.ts";
import {
  CreateFlTaskRequest,
  FlMessage,
  FlMessages,
  FlParticipant,
  FlReplyRequest,
  FlRound,
  FlTask,
} from "./fl.ts";
import { Leaderboard, LeaderboardEntry } from "./leaderboard.ts";
import { Model, ModelFiles, Models } from "./model.ts";
import {
  ApiKey,
  ApiKeys,
  CreateApiKeyRequest,
  CreatedApiKey,
  CreditAccount,
  ModelPrices,
  Plan,
  Plans,
  SetModelPriceRequest,
  SubscribeRequest,
  Subscription,
  UsageHistory,
  UsageRecord,
} from "./moonbase.ts";
import { Health, Network } from "./network.ts";
import { PublicArtifact } from "./publicArtifact.ts";
import {
  ApproveTaskRequest,
  CommitSubmissionRequest,
  CreateTaskRequest,
  DisputeRequest,
  RefuseAssignmentRequest,
  ScoreCommitmentRequest,
  ScoreRevealRequest,
} from "./requests.ts";
import { Score } from "./score.ts";
import { Submission } from "./submission.ts";
import { Task } from "./task.ts";

export * from "./assignment.ts";
export * from "./draw.ts";
export * from "./epoch.ts";
export * from "./errorBody.ts";
export * from "./fl.ts";
export * from "./leaderboard.ts";
export * from "./model.ts";
export * from "./moonbase.ts";
export * from "./network.ts";
export * from "./primitives.ts";
export * from "./publicArtifact.ts";
export * from "./requests.ts";
export * from "./score.ts";
export * from "./submission.ts";
export * from "./task.ts";

/**
 * Every named wire schema by its `$id` (the key), containers after the schemas they contain: the coordinator
 * registers them in this order and names them so in its OpenAPI document.
 */
export const WIRE_SCHEMAS = {
  ErrorBody,
  Health,
  Network,
  PublicArtifact,
  Task,
  Submission,
  Assignment,
  Score,
  LeaderboardEntry,
  Leaderboard,
  Claim,
  EpochProofs,
  Epoch,
  EpochUsage,
  Draw,
  CreateTaskRequest,
  ApproveTaskRequest,
  CommitSubmissionRequest,
  RefuseAssignmentRequest,
  ScoreCommitmentRequest,
  ScoreRevealRequest,
  DisputeRequest,
  FlTask,
  FlParticipant,
  FlRound,
  FlMessage,
  FlMessages,
  CreateFlTaskRequest,
  FlReplyRequest,
  Model,
  Models,
  ModelFiles,
  CreditAccount,
  ApiKey,
  CreatedApiKey,
  ApiKeys,
  CreateApiKeyRequest,
  UsageRecord,
  UsageHistory,
  ModelPrices,
  SetModelPriceRequest,
  Plan,
  Plans,
  SubscribeRequest,
  Subscription,
} as const;
