import { contentId, FlockError, type wire } from "@flock/core";
import { type Hex, type LocalAccount, sha256 } from "viem";
import { toModelPrices, toPlan, toSubscription, toUsageHistory } from "./access.ts";
import { toCreditAccount } from "./credits.ts";
import { errorFromResponse } from "./errors.ts";
import { signRequest } from "./signing.ts";
import type {
  Assignment,
  AssignmentStatus,
  Claim,
  Epoch,
  EpochProofs,
  FlMessages,
  FlParticipant,
  FlReplyRequest,
  FlRound,
  FlTask,
  Health,
  LeaderboardEntry,
  LiveEvent,
  NetworkDescription,
  NewFlTask,
  NewTask,
  Page,
  PublicArtifact,
  Score,
  Submission,
  Task,
  TaskStatus,
} from "./types.ts";
import type { TransferProgress } from "./uploadStream.ts";

export interface FlockClientOptions {
  /** The coordinator, e.g. `http://127.0.0.1:8545`. */
  baseUrl: string;
  /** The participant's chain key (viem local account): it signs every request that needs an identity. */
  account?: LocalAccount;
  /** The network's chain id (the EIP-712 domain); read from `/health` when omitted. */
  chainId?: number;
  /**
   * The deployment's TaskStaking address, the EIP-712 domain's `verifyingContract`: a request signed for one
   * deployment is refused by every other, also on the same chain. Read from `/health` when omitted.
   */
  requestVerifier?: Hex;
  /** Retries of idempotent reads after a network error or a 429/502/503/504 (default 3). */
  retries?: number;
  /** First backoff delay; doubles on every retry (default 200 ms). */
  retryDelayMs?: number;
  fetch?: typeof fetch;
}

/** Bytes to upload: in memory, or a stream with the content id its bytes hash to (what was committed). */
export type UploadBody = Uint8Array | { stream: ReadableStream<Uint8Array>; contentId: string };

type Query = Record<string, string | number | undefined>;

interface RequestOptions {
  query?: Query;
  json?: unknown;
  upload?: UploadBody;
  signed?: boolean;
  /** Ends the request (and its retries) early: a long poll stopped by its caller. */
  signal?: AbortSignal;
}

const RETRY_STATUSES = new Set([429, 502, 503, 504]);

/** A response body read to its end, reporting the bytes received against Content-Length. */
async function readBody(
  response: Response,
  onProgress?: (progress: TransferProgress) => void,
): Promise<Uint8Array> {
  if (onProgress === undefined || response.body === null) return new Uint8Array(await response.arrayBuffer());
  const declared = Number(response.headers.get("content-length"));
  const chunks: Uint8Array[] = [];
  let received = 0;
  for await (const chunk of response.body) {
    chunks.push(chunk);
    received += chunk.length;
    onProgress({
      bytes: received,
      totalBytes: Number.isFinite(declared) && declared > 0 ? declared : received,
    });
  }
  const data = new Uint8Array(received);
  let offset = 0;
  for (const chunk of chunks) {
    data.set(chunk, offset);
    offset += chunk.length;
  }
  return data;
}

function withQuery(path: string, query: Query | undefined): string {
  const entries = Object.entries(query ?? {}).filter(([, v]) => v !== undefined) as [
    string,
    string | number,
  ][];
  if (entries.length === 0) return path;
  return `${path}?${entries.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`).join("&")}`;
}

/** A task as parsed (core's wire type) with its amounts as bigint. */
const toTask = (t: wire.Task): Task => {
  const { pool, approvedWeight, ...rest } = t;
  return {
    ...rest,
    rewardWeight: BigInt(t.rewardWeight),
    minStake: BigInt(t.minStake),
    ...(pool === undefined ? {} : { pool: BigInt(pool) }),
    ...(approvedWeight === undefined
      ? {}
      : { approvedWeight: approvedWeight === null ? null : BigInt(approvedWeight) }),
  };
};
/** A federated task as parsed, with its amounts as bigint. */
const toFlTask = (t: wire.FlTask): FlTask => ({
  ...t,
  rewardWeight: BigInt(t.rewardWeight),
  pool: BigInt(t.pool),
  remainingPool: BigInt(t.remainingPool),
  approvedWeight: t.approvedWeight === null ? null : BigInt(t.approvedWeight),
  minStake: BigInt(t.minStake),
});
const toFlParticipant = (p: wire.FlParticipant): FlParticipant => ({ ...p, stake: BigInt(p.stake) });
const toFlRound = (r: wire.FlRound): FlRound => ({
  ...r,
  proposers: r.proposers.map((p) => ({ ...p, stake: BigInt(p.stake) })),
  voters: r.voters.map((v) => ({ ...v, stake: BigInt(v.stake) })),
  tally: r.tally === null ? null : BigInt(r.tally),
  rewards: r.rewards.map((a) => ({ ...a, amount: BigInt(a.amount) })),
  slashes: r.slashes.map((a) => ({ ...a, amount: BigInt(a.amount) })),
});
/** The longest long poll the coordinator holds `GET /fl/tasks/:id/messages` open for. */
export const FL_MAX_WAIT_MS = 25_000;

const toClaim = (c: wire.Claim | null): Claim | null =>
  c === null ? null : { amount: BigInt(c.amount), proof: c.proof };

/**
 * A typed client for every coordinator route. Requests that need an identity are signed with EIP-712
 * (see `signing.ts`); reads are retried with exponential backoff; a refused request throws the
 * coordinator's error as a FlockError with its code and hint.
 */
export function createFlockClient(options: FlockClientOptions) {
  const baseUrl = options.baseUrl.replace(/\/$/, "");
  const doFetch = options.fetch ?? fetch;
  const retries = options.retries ?? 3;
  const retryDelayMs = options.retryDelayMs ?? 200;
  let domain: { chainId: number; requestVerifier: Hex } | undefined =
    options.chainId !== undefined && options.requestVerifier !== undefined
      ? { chainId: options.chainId, requestVerifier: options.requestVerifier }
      : undefined;

  /** The chain id and deployment requests are signed for: given in the options, else from `/health`, once. */
  async function signingDomain(): Promise<{ chainId: number; requestVerifier: Hex }> {
    if (domain === undefined) {
      const health = await send<Health>("GET", "/health");
      domain = {
        chainId: options.chainId ?? health.chainId,
        requestVerifier: options.requestVerifier ?? health.requestVerifier,
      };
    }
    return domain;
  }

  async function attempt(method: string, path: string, request: RequestOptions): Promise<Response> {
    const headers: Record<string, string> = {};
    let body: RequestInit["body"] | undefined;
    let bodyHash: Hex | undefined;
    if (request.json !== undefined) {
      const bytes = new TextEncoder().encode(JSON.stringify(request.json));
      body = bytes;
      bodyHash = sha256(bytes);
      headers["content-type"] = "application/json";
    } else if (request.upload !== undefined) {
      headers["content-type"] = "application/octet-stream";
      if (request.upload instanceof Uint8Array) {
        body = request.upload;
        bodyHash = sha256(request.upload);
      } else {
        body = request.upload.stream;
        bodyHash = `0x${request.upload.contentId.replace(/^sha256:/, "")}`;
      }
    }
    if (request.signed) {
      if (options.account === undefined) {
        throw new FlockError(
          "ACCOUNT_REQUIRED",
          `${method} ${path} must be signed, and the client has no account`,
          {
            hint: "pass `account` (a viem local account, e.g. privateKeyToAccount(key)) to createFlockClient",
          },
        );
      }
      const { chainId, requestVerifier } = await signingDomain();
      Object.assign(
        headers,
        await signRequest({
          account: options.account,
          chainId,
          verifyingContract: requestVerifier,
          method,
          path,
          ...(bodyHash === undefined ? {} : { bodyHash }),
        }),
      );
    }
    const init: RequestInit & { duplex?: "half" } = { method, headers };
    if (request.signal !== undefined) init.signal = request.signal;
    if (body !== undefined) init.body = body;
    if (body instanceof ReadableStream) init.duplex = "half";
    return doFetch(`${baseUrl}${path}`, init);
  }

  async function respond(method: string, path: string, request: RequestOptions): Promise<Response> {
    const idempotent = method === "GET";
    for (let n = 0; ; n++) {
      let response: Response | undefined;
      let failure: unknown;
      try {
        response = await attempt(method, path, request);
      } catch (error) {
        if (error instanceof FlockError) throw error;
        if (request.signal?.aborted) throw request.signal.reason ?? error;
        failure = error;
      }
      const retryable = response === undefined || RETRY_STATUSES.has(response.status);
      if (!retryable || !idempotent || n >= retries) {
        if (response === undefined) {
          throw new FlockError(
            "COORDINATOR_UNREACHABLE",
            `${method} ${path}: the coordinator did not answer`,
            {
              hint: `check that the coordinator runs at ${baseUrl}`,
              cause: failure,
            },
          );
        }
        if (!response.ok) {
          const text = await response.text();
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = { message: text };
          }
          throw errorFromResponse(response.status, parsed, `${method} ${path}`);
        }
        return response;
      }
      await response?.body?.cancel();
      await new Promise((resolve) => setTimeout(resolve, retryDelayMs * 2 ** n));
    }
  }

  async function send<T>(method: string, path: string, request: RequestOptions = {}): Promise<T> {
    const response = await respond(method, withQuery(path, request.query), request);
    return (await response.json()) as T;
  }

  async function bytes(path: string, request: RequestOptions = {}): Promise<Uint8Array> {
    const response = await respond("GET", withQuery(path, request.query), request);
    return new Uint8Array(await response.arrayBuffer());
  }

  const toScore = (s: wire.Score): Score => ({ ...s, score: BigInt(s.score) });

  return {
    /** Liveness, and the chain id and deployment (TaskStaking address) requests are signed for. */
    health: () => send<Health>("GET", "/health"),
    /** The network to join: chain id, a JSON-RPC URL and the contracts' deployment manifest. */
    network: () => send<NetworkDescription>("GET", "/network"),

    artifacts: {
      /**
       * Publish a public artifact (a base model, a training set) under its content id; publishing what is
       * already public changes nothing. Never publish a hidden validation set: the coordinator refuses it.
       */
      publish: (upload: UploadBody) => {
        const id = upload instanceof Uint8Array ? contentId(upload) : upload.contentId;
        return send<PublicArtifact>("PUT", `/artifacts/${id}`, { signed: true, upload });
      },
      /** A public artifact's size and publisher; NotFound ARTIFACT_NOT_PUBLIC when it is not published. */
      info: (id: string) => send<PublicArtifact>("GET", `/artifacts/${id}/info`),
      /**
       * A public artifact's bytes, checked against their content id (a coordinator cannot swap them);
       * `onProgress` follows the bytes as they arrive.
       */
      download: async (id: string, onProgress?: (progress: TransferProgress) => void) => {
        const response = await respond("GET", `/artifacts/${id}`, {});
        const data = await readBody(response, onProgress);
        const actual = contentId(data);
        if (actual !== id) {
          throw new FlockError(
            "ARTIFACT_HASH_MISMATCH",
            `the coordinator served bytes hashing to ${actual}, not ${id}`,
            {
              hint: "the coordinator's copy is damaged or was replaced; report it to its operator",
              details: { expected: id, actual },
            },
          );
        }
        return data;
      },
    },

    tasks: {
      /**
       * Create a task signed by the client's account (its creator). An operator's task paid from emission opens
       * at once; any other is a `draft` until its pool is funded on-chain and it is opened (`next` says how).
       */
      create: async ({ pool, ...task }: NewTask) =>
        toTask(
          await send<wire.Task>("POST", "/tasks", {
            signed: true,
            json: {
              ...task,
              baseModel: task.baseModel as wire.ContentId,
              trainingSetId: task.trainingSetId as wire.ContentId,
              validationCommitment: task.validationCommitment as wire.ContentId,
              submissionDeadline: new Date(task.submissionDeadline).toISOString(),
              endTime: new Date(task.endTime).toISOString(),
              rewardWeight: task.rewardWeight.toString(),
              minStake: task.minStake.toString(),
              ...(pool === undefined ? {} : { pool: pool.toString() }),
            } satisfies wire.CreateTaskRequest,
          }),
        ),
      /** Open a draft (its creator), once its pool is funded on-chain (RewardDistributor.fundTask) or its weight approved. */
      open: async (id: number) =>
        toTask(await send<wire.Task>("POST", `/tasks/${id}/open`, { signed: true, json: {} })),
      /**
       * Cancel a draft that never opened (its creator): its funded pool is cancelled on-chain and each funder then
       * takes back what it put in with RewardDistributor.refundTaskFunding (`@flock/chain`'s refundTaskFunding).
       */
      cancel: async (id: number) =>
        toTask(await send<wire.Task>("POST", `/tasks/${id}/cancel`, { signed: true })),
      /** Approve a task's emission weight (an account with the operator role). */
      approve: async (id: number, weight: bigint) =>
        toTask(
          await send<wire.Task>("POST", `/tasks/${id}/approve`, {
            signed: true,
            json: { weight: weight.toString() } satisfies wire.ApproveTaskRequest,
          }),
        ),
      list: async (
        filter: { status?: TaskStatus; creator?: string; limit?: number; after?: number } = {},
      ) => {
        const page = await send<Page<wire.Task>>("GET", "/tasks", { query: filter });
        return { ...page, items: page.items.map(toTask) };
      },
      get: async (id: number) => toTask(await send<wire.Task>("GET", `/tasks/${id}`)),
      leaderboard: async (id: number) => {
        const board = await send<wire.Leaderboard>("GET", `/tasks/${id}/leaderboard`);
        return board.items.map(
          (e): LeaderboardEntry => ({
            ...e,
            consensusScore: e.consensusScore === null ? null : BigInt(e.consensusScore),
          }),
        );
      },
      /** The hidden validation set, revealed once the task is finalized (for audits). */
      validationSet: (id: number) => bytes(`/tasks/${id}/validation-set`),
      /** The creator uploads the hidden validation set; its bytes must hash to the task's commitment. */
      uploadValidationSet: async (id: number, upload: UploadBody) =>
        toTask(await send<wire.Task>("PUT", `/tasks/${id}/validation-set`, { signed: true, upload })),
    },

    submissions: {
      /** Commit an artifact's content id before the deadline (trainers staked on the task). */
      commit: (taskId: number, commitHash: string) =>
        send<Submission>("POST", `/tasks/${taskId}/submissions`, {
          signed: true,
          json: { commitHash: commitHash as wire.ContentId } satisfies wire.CommitSubmissionRequest,
        }),
      list: async (taskId: number) =>
        (await send<{ items: Submission[] }>("GET", `/tasks/${taskId}/submissions`)).items,
      get: (id: number) => send<Submission>("GET", `/submissions/${id}`),
      /** Upload the committed artifact; the coordinator refuses bytes that do not hash to the commit. */
      uploadArtifact: (id: number, upload: UploadBody) =>
        send<Submission>("PUT", `/submissions/${id}/artifact`, { signed: true, upload }),
    },

    assignments: {
      /** The account's assignments (open ones by default). */
      list: async (status?: AssignmentStatus) =>
        (await send<{ items: Assignment[] }>("GET", "/assignments", { signed: true, query: { status } }))
          .items,
      /** The hidden validation set, served only for the account's open assignment. */
      validationSet: (id: number) => bytes(`/assignments/${id}/validation-set`, { signed: true }),
      /** The artifact to evaluate. */
      artifact: (id: number) => bytes(`/assignments/${id}/artifact`, { signed: true }),
      /**
       * Refuse an assignment with a reason the coordinator records; the submission goes to another validator
       * and the refusal can be disputed (an unscorable artifact is scored the worst score, not refused).
       */
      refuse: (id: number, reason: string) =>
        send<Assignment>("POST", `/assignments/${id}/refuse`, {
          signed: true,
          json: { reason } satisfies wire.RefuseAssignmentRequest,
        }),
      /**
       * Commit to a score before the task's end (SPEC §2.1 commit-reveal): protocol's
       * `scoreCommitment({ assignmentId, score, salt })`. Keep the score and salt for the reveal.
       */
      commitScore: (id: number, commitment: Hex) =>
        send<Assignment>("POST", `/assignments/${id}/commitment`, {
          signed: true,
          json: { commitment } satisfies wire.ScoreCommitmentRequest,
        }),
      /** Reveal a committed fixed-point score (1e18 = 1.0) with its salt and evidence, after the task's end. */
      revealScore: async (
        id: number,
        reveal: { score: bigint; salt: string; evidence: Record<string, unknown> },
      ) =>
        toScore(
          await send<wire.Score>("POST", `/assignments/${id}/reveal`, {
            signed: true,
            json: {
              score: reveal.score.toString(),
              salt: reveal.salt,
              evidence: reveal.evidence,
            } satisfies wire.ScoreRevealRequest,
          }),
        ),
    },

    epochs: {
      list: async (filter: { taskId?: number } = {}) =>
        (await send<{ items: Epoch[] }>("GET", "/epochs", { query: filter })).items,
      get: (n: number) => send<Epoch>("GET", `/epochs/${n}`),
      /** The report's canonical JSON, exactly the bytes whose sha256 is the posted report hash. */
      report: (n: number) => bytes(`/epochs/${n}/report`),
      proofs: async (n: number, account: string): Promise<EpochProofs> => {
        const p = await send<wire.EpochProofs>("GET", `/epochs/${n}/proofs/${account}`);
        return { epoch: p.epoch, account: p.account, liquid: toClaim(p.liquid), vesting: toClaim(p.vesting) };
      },
      /**
       * The usage the epoch collected (SPEC §2.4): per payer — what UsageCredits.collect debited it — and per served
       * model version, amounts as decimal strings of FLOCK base units.
       */
      usage: (n: number) => send<wire.EpochUsage>("GET", `/epochs/${n}/usage`),
    },

    /**
     * FL Alliance (SPEC §2.2): federated tasks, their participants and rounds, and a participant's messages.
     * A participant stakes on-chain as trainer, `join`s, then answers what `messages` returns with `reply`.
     */
    fl: {
      /**
       * Create a federated task signed by the client's account (its creator). It is a draft until its pool is
       * funded on-chain (RewardDistributor.fundTask) and it is `open`ed, unless it opens at once.
       */
      create: async ({ pool, ...task }: NewFlTask) =>
        toFlTask(
          await send<wire.FlTask>("POST", "/fl/tasks", {
            signed: true,
            json: {
              ...task,
              baseModel: task.baseModel as wire.ContentId,
              joinDeadline: new Date(task.joinDeadline).toISOString(),
              rewardWeight: task.rewardWeight.toString(),
              minStake: task.minStake.toString(),
              ...(pool === undefined ? {} : { pool: pool.toString() }),
            } satisfies wire.CreateFlTaskRequest,
          }),
        ),
      /** Open a draft (its creator) once its pool is funded on-chain. */
      open: async (id: number) =>
        toFlTask(await send<wire.FlTask>("POST", `/fl/tasks/${id}/open`, { signed: true, json: {} })),
      list: async () => (await send<{ tasks: wire.FlTask[] }>("GET", "/fl/tasks")).tasks.map(toFlTask),
      get: async (id: number) => toFlTask(await send<wire.FlTask>("GET", `/fl/tasks/${id}`)),
      /** Join as a participant, after staking gmFLOCK on the task as trainer, before its join deadline. */
      join: async (id: number) =>
        toFlParticipant(await send<wire.FlParticipant>("POST", `/fl/tasks/${id}/join`, { signed: true })),
      participants: async (id: number) =>
        (
          await send<{ participants: wire.FlParticipant[] }>("GET", `/fl/tasks/${id}/participants`)
        ).participants.map(toFlParticipant),
      rounds: async (id: number) =>
        (await send<{ rounds: wire.FlRound[] }>("GET", `/fl/tasks/${id}/rounds`)).rounds.map(toFlRound),
      round: async (id: number, round: number) =>
        toFlRound(await send<wire.FlRound>("GET", `/fl/tasks/${id}/rounds/${round}`)),
      /**
       * The account's messages still waiting for its reply, with the task's status and round. With `waitMs`
       * (at most FL_MAX_WAIT_MS) the coordinator holds the request until a message arrives or the time is up;
       * `signal` ends the wait early.
       */
      messages: (id: number, options: { waitMs?: number; signal?: AbortSignal } = {}) => {
        const waitMs = options.waitMs === undefined ? undefined : Math.min(options.waitMs, FL_MAX_WAIT_MS);
        return send<FlMessages>("GET", `/fl/tasks/${id}/messages`, {
          signed: true,
          query: { waitMs },
          ...(options.signal === undefined ? {} : { signal: options.signal }),
        });
      },
      /**
       * Answer one message with exactly one of `update` (train), `evaluation` (evaluate), `body` (exchange)
       * or `error`.
       */
      reply: (id: number, messageId: number, reply: FlReplyRequest) =>
        send<{ accepted: true }>("POST", `/fl/tasks/${id}/messages/${messageId}/reply`, {
          signed: true,
          json: reply,
        }),
      /**
       * Arrays of the task (a global model or a candidate) as safetensors bytes, checked against their content
       * id; decode them with `@flock/fl`'s decodeArrays.
       */
      arrays: async (id: number, arraysId: string) => {
        const data = await bytes(`/fl/tasks/${id}/arrays/${arraysId}`);
        const actual = contentId(data);
        if (actual !== arraysId) {
          throw new FlockError(
            "FL_ARRAYS_HASH_MISMATCH",
            `the coordinator served arrays hashing to ${actual}, not ${arraysId}`,
            {
              hint: "the coordinator's copy is damaged or was replaced; report it to its operator",
              details: { expected: arraysId, actual },
            },
          );
        }
        return data;
      },
    },

    /**
     * Moonbase's model registry (SPEC §2.4): every accepted model with its versions, lineage, Hugging Face card
     * and folder. A model is named by its numeric id, its name (`flock/lm-lora-…`, the latest version) or
     * `name@version`.
     */
    models: {
      /** Each model's latest version, newest first; `versions: "all"` lists every version. */
      list: async (options: { versions?: "latest" | "all"; taskId?: number } = {}) =>
        (
          await send<wire.Models>("GET", "/models", {
            query: { versions: options.versions, taskId: options.taskId },
          })
        ).items,
      get: (ref: number | string) => send<wire.Model>("GET", `/models/${encodeURIComponent(String(ref))}`),
      /** The model card: Hugging Face's YAML front matter, then markdown. */
      card: async (ref: number | string) =>
        (await respond("GET", `/models/${encodeURIComponent(String(ref))}/card`, {})).text(),
      /** The files of the model's Hugging Face folder, with their sizes and sha256. */
      files: (ref: number | string) =>
        send<wire.ModelFiles>("GET", `/models/${encodeURIComponent(String(ref))}/files`),
      /** One file of the folder (README.md, adapter_config.json, adapter_model.safetensors, …). */
      file: (ref: number | string, name: string) =>
        bytes(`/models/${encodeURIComponent(String(ref))}/files/${encodeURIComponent(name)}`),
      /**
       * The model as one self-contained ONNX file (weights inside, a LoRA adapter merged into its base) for
       * onnxruntime-web or any ONNX runtime; `seqLen` fixes a decoder's sequence length (default: its context).
       */
      onnx: (ref: number | string, options: { seqLen?: number } = {}) =>
        bytes(`/models/${encodeURIComponent(String(ref))}/onnx`, { query: { seqLen: options.seqLen } }),
    },

    /**
     * Moonbase's prepaid usage credit (SPEC §2.4): what an account deposited into the UsageCredits contract,
     * withdrew, was charged for collected usage, has requested to withdraw, and its balance on-chain. Public.
     */
    credits: {
      get: async (account: string) =>
        toCreditAccount(await send<wire.CreditAccount>("GET", `/credits/${encodeURIComponent(account)}`)),
    },

    /**
     * API keys for Moonbase's OpenAI-compatible API (/v1), signed by their owner: the secret is returned once, at
     * creation; `models` scopes a key to those registry names, `plan` bills its calls to a subscription.
     */
    keys: {
      create: (request: wire.CreateApiKeyRequest) =>
        send<wire.CreatedApiKey>("POST", "/keys", { signed: true, json: request }),
      list: async () => (await send<wire.ApiKeys>("GET", "/keys", { signed: true })).items,
      revoke: (id: number) => send<wire.ApiKey>("DELETE", `/keys/${id}`, { signed: true }),
    },

    /** A key's usage history (signed by its owner), in [from, to): JSON with bigint costs, or CSV text. */
    usage: {
      get: async (keyId: number, range: { from?: Date; to?: Date } = {}) =>
        toUsageHistory(
          await send<wire.UsageHistory>("GET", `/keys/${keyId}/usage`, {
            signed: true,
            query: { from: range.from?.toISOString(), to: range.to?.toISOString() },
          }),
        ),
      csv: async (keyId: number, range: { from?: Date; to?: Date } = {}) =>
        (
          await respond(
            "GET",
            withQuery(`/keys/${keyId}/usage`, {
              format: "csv",
              from: range.from?.toISOString(),
              to: range.to?.toISOString(),
            }),
            { signed: true },
          )
        ).text(),
    },

    /** Plans (public), token prices (public) and subscriptions (signed); setting prices and plans is an operator's. */
    plans: {
      list: async () => (await send<wire.Plans>("GET", "/plans")).items.map(toPlan),
      set: async (plan: wire.Plan) =>
        toPlan(await send<wire.Plan>("PUT", "/admin/plans", { signed: true, json: plan })),
      subscribe: async (plan: string) =>
        toSubscription(
          await send<wire.Subscription>("POST", "/subscriptions", { signed: true, json: { plan } }),
        ),
      current: async () =>
        toSubscription(await send<wire.Subscription>("GET", "/subscriptions/current", { signed: true })),
    },
    prices: {
      list: async () => toModelPrices(await send<wire.ModelPrices>("GET", "/prices")),
      set: async (model: string, price: { promptPer1k: bigint; completionPer1k: bigint }) =>
        toModelPrices(
          await send<wire.ModelPrices>("PUT", "/admin/prices", {
            signed: true,
            json: {
              model,
              promptPer1k: price.promptPer1k.toString(),
              completionPer1k: price.completionPer1k.toString(),
            },
          }),
        ),
    },

    /**
     * Live events after `after` (0: from the start), as an async iterable; stop with the signal. A dropped
     * stream is not resumed automatically: call again with the last id seen.
     */
    events: async function* (after = 0, signal?: AbortSignal): AsyncGenerator<LiveEvent> {
      const init: RequestInit = signal === undefined ? {} : { signal };
      const response = await doFetch(`${baseUrl}/events?after=${after}`, init);
      if (!response.ok || response.body === null) {
        throw errorFromResponse(response.status, await response.json().catch(() => ({})), "GET /events");
      }
      const decoder = new TextDecoder();
      let buffer = "";
      const reader = response.body.getReader();
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          buffer += decoder.decode(value, { stream: true });
          let end = buffer.indexOf("\n\n");
          while (end >= 0) {
            const message = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            end = buffer.indexOf("\n\n");
            const fields = new Map(
              message
                .split("\n")
                .filter((line) => !line.startsWith(":") && line.includes(": "))
                .map(
                  (line) => [line.slice(0, line.indexOf(": ")), line.slice(line.indexOf(": ") + 2)] as const,
                ),
            );
            const id = fields.get("id");
            if (id === undefined) continue;
            yield {
              id: Number(id),
              type: fields.get("event") ?? "message",
              data: JSON.parse(fields.get("data") ?? "{}"),
            };
          }
        }
      } finally {
        await reader.cancel().catch(() => undefined);
      }
    },
  };
}

/** The client `createFlockClient` returns. */
export type FlockClient = ReturnType<typeof createFlockClient>;
