import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import { createLogger, REQUEST_SIGNING, ValidationError } from "@flock/core";
import { readRevenueShares } from "@flock/protocol";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import { createApiAccess } from "./access/apiAccess.ts";
import { installAuth } from "./auth/authHook.ts";
import { chainFactIndexerOf } from "./chain/chainFactIndexer.ts";
import { journaledChainGateway } from "./chain/journaledChainGateway.ts";
import { registerCreditRoutes } from "./credits/creditRoutes.ts";
import {
  type AppContext,
  type AppDeps,
  defaultServerConfig,
  type ServerConfig,
  systemClock,
} from "./deps.ts";
import { disputeJobHandlers } from "./disputes/disputeJobs.ts";
import { lazyEngineEvaluator } from "./disputes/lazyEngineEvaluator.ts";
import { closeRevenueEpochIfDue, epochJobHandlers } from "./epochs/epochJobs.ts";
import { flJobHandlers } from "./fl/flJobs.ts";
import { installBoundedInput, strictFormatsAjvOptions } from "./http/boundedInput.ts";
import { installErrorHandling } from "./http/errorHandler.ts";
import { installOpenApiConventions, securitySchemes } from "./http/openApi.ts";
import { installRateLimits } from "./http/rateLimit.ts";
import { errorText, FlatRequestLog } from "./http/requestLog.ts";
import { errorResponses } from "./http/schemas.ts";
import { timedUpload } from "./http/uploadTimeouts.ts";
import { registerWireSchemas, wireRef, wireSchemaReferences } from "./http/wireSchemas.ts";
import { createReconciler } from "./reconcile/reconciler.ts";
import { registerAccessRoutes } from "./routes/accessRoutes.ts";
import { registerAdminRoutes } from "./routes/adminRoutes.ts";
import { registerArtifactRoutes } from "./routes/artifactRoutes.ts";
import { registerDisputeRoutes } from "./routes/disputeRoutes.ts";
import { registerDrawRoutes } from "./routes/drawRoutes.ts";
import { registerEpochRoutes } from "./routes/epochRoutes.ts";
import { registerEventRoutes } from "./routes/eventRoutes.ts";
import { registerFlRoutes } from "./routes/flRoutes.ts";
import { registerFlWebRoutes } from "./routes/flWebRoutes.ts";
import { registerModelRoutes } from "./routes/modelRoutes.ts";
import { registerNetworkRoutes } from "./routes/networkRoutes.ts";
import { registerOpenAiRoutes } from "./routes/openAiRoutes.ts";
import { registerSubmissionRoutes } from "./routes/submissionRoutes.ts";
import { registerTaskRoutes } from "./routes/taskRoutes.ts";
import { registerValidationRoutes } from "./routes/validationRoutes.ts";
import { createScheduler, jobTaskId, type Scheduler } from "./scheduler/scheduler.ts";
import { servingEngine } from "./serving/servingEngine.ts";
import { createStakeIndexer, type StakeIndexer } from "./stakes/stakeIndexer.ts";
import { slashCopyHandlers } from "./submissions/slashCopy.ts";
import { taskJobHandlers } from "./tasks/taskJobs.ts";
import { assignmentJobHandlers } from "./validation/assignmentJobs.ts";
import { slashFailedDutyHandlers } from "./validation/slashFailedDuty.ts";

/** The coordinator app plus its background parts, which the caller starts and stops. */
export interface FlockApp {
  http: FastifyInstance;
  scheduler: Scheduler;
  indexer: StakeIndexer;
  config: ServerConfig;
  /** Start background work: the scheduler and the stake indexer. */
  start(): void;
  /** Stop background work and close the HTTP server (not the database: the caller owns it). */
  close(): Promise<void>;
}

/** Build the coordinator from its dependencies; nothing listens or runs until the caller says so. */
export async function createApp(deps: AppDeps): Promise<FlockApp> {
  const config: ServerConfig = { ...defaultServerConfig, ...deps.config };
  // A share table that could not settle an epoch is refused now, not at the first epoch with revenue.
  readRevenueShares(config.revenueShares);
  const clock = deps.clock ?? systemClock;
  const logger = deps.logger ?? createLogger("flock-server");
  const http = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    logController: new FlatRequestLog(),
    bodyLimit: 1024 * 1024,
    // Receiving a request (headers and body) never takes longer than the longest upload may.
    requestTimeout: config.uploadTotalTimeoutMs + 5_000,
    ajv: strictFormatsAjvOptions,
    // Closing means shutting down: open event streams and keep-alive sockets must not hold it up.
    forceCloseConnections: true,
  });
  const ctx: AppContext = {
    ...deps,
    // Every chain write is journaled (intent before it is sent, confirmed after) and reconciled with the chain.
    chain: journaledChainGateway(deps.chain, deps.repos.chainWrites),
    clock,
    config,
    logger,
    evaluator: deps.evaluator ?? lazyEngineEvaluator(),
  };

  // JSON bodies are parsed from their raw bytes, which are kept: the signature covers their sha256.
  http.addContentTypeParser("application/json", { parseAs: "buffer" }, (request, body, done) => {
    const bytes = body as Buffer;
    request.rawBody = bytes;
    if (bytes.length === 0) return done(null, undefined);
    try {
      done(null, JSON.parse(bytes.toString("utf8")));
    } catch (cause) {
      done(
        new ValidationError("BODY_NOT_JSON", "the request body is not valid JSON", {
          hint: "send a JSON object with content-type application/json",
          cause,
        }),
      );
    }
  });
  // Artifacts stream straight into the artifact store, which enforces their size and hash; a stalled or
  // endless upload is cut by its timeouts.
  http.addContentTypeParser("application/octet-stream", (request, _payload, done) =>
    done(
      null,
      timedUpload(request.raw, { idleMs: config.uploadIdleTimeoutMs, totalMs: config.uploadTotalTimeoutMs }),
    ),
  );

  installErrorHandling(http);
  installBoundedInput(http);
  installOpenApiConventions(http);
  installAuth(http, {
    chainId: deps.chain.chainId,
    verifyingContract: deps.chain.requestVerifier,
    clock,
    repos: deps.repos,
  });
  // After authentication: a signed request is counted against its verified signer.
  installRateLimits(
    http,
    {
      windowMs: config.rateLimitWindowMs,
      perAccount: config.rateLimitPerAccount,
      perIp: config.rateLimitPerIp,
    },
    clock,
  );

  // Core's wire types, shared with the SDK: named in the OpenAPI document's components.schemas by their $id.
  registerWireSchemas(http);
  await http.register(swagger, {
    refResolver: wireSchemaReferences,
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "Flock coordinator",
        version: "0.1.0",
        license: { name: "Apache-2.0", identifier: "Apache-2.0" },
        description:
          "Signed requests carry four headers (" +
          Object.values(REQUEST_SIGNING.headers).join(", ") +
          "): an EIP-712 FlockRequest signature over method, path, sha256 of the body, timestamp and nonce.",
      },
      servers: [
        {
          url: "http://127.0.0.1:8420",
          description: "a local coordinator (the document served names its own)",
        },
      ],
      components: { securitySchemes },
    },
  });
  await http.register(swaggerUi, { routePrefix: "/docs" });
  // The document names the server it is fetched from, so a generated client needs no base URL of its own.
  http.get("/openapi.json", { schema: { hide: true } }, async (request) => ({
    ...http.swagger(),
    servers: [{ url: `${request.protocol}://${request.host}` }],
  }));
  const reconciler = createReconciler(ctx);
  http.get(
    "/health",
    {
      schema: {
        summary:
          "Liveness, the chain id and deployment (TaskStaking) requests must be signed for, jobs stopped for the operator and the last comparison of the store with the chain",
        tags: ["network"],
        response: { 200: wireRef("Health"), ...errorResponses },
      },
    },
    async () => {
      const report = reconciler.lastReport();
      const failed = await deps.repos.jobs.list({ status: "failed" });
      return {
        ok: true,
        chainId: deps.chain.chainId,
        requestVerifier: deps.chain.requestVerifier,
        failedJobs: failed.map((job) => {
          const taskId = jobTaskId(job);
          return {
            id: job.id,
            kind: job.kind,
            ...(taskId === undefined ? {} : { taskId }),
            errorCode: job.errorCode ?? "JOB_FAILED",
            error: job.lastError ?? "",
          };
        }),
        ...(report === undefined ? {} : { reconciledAt: report.at.toISOString() }),
        chainDifferences: report?.differences ?? [],
      };
    },
  );
  const indexer = createStakeIndexer(ctx);
  registerNetworkRoutes(http, ctx);
  registerArtifactRoutes(http, ctx);
  registerTaskRoutes(http, ctx);
  registerSubmissionRoutes(http, ctx, indexer);
  registerValidationRoutes(http, ctx);
  registerEpochRoutes(http, ctx);
  registerEventRoutes(http, ctx, { pollMs: config.eventPollMs });
  registerDisputeRoutes(http, ctx);
  registerDrawRoutes(http, ctx);
  registerAdminRoutes(http, ctx);
  registerFlRoutes(http, ctx, indexer);
  registerFlWebRoutes(http, ctx);
  registerModelRoutes(http, ctx);
  registerCreditRoutes(http, ctx);
  const apiAccess = createApiAccess(ctx);
  registerAccessRoutes(http, ctx, apiAccess);
  await registerOpenAiRoutes(http, deps.completions ?? servingEngine(ctx, config.serving), apiAccess);

  const scheduler = createScheduler({
    repos: deps.repos,
    clock,
    logger,
    pollMs: config.schedulerPollMs,
    leaseMs: config.jobLeaseMs,
    maxBackoffMs: config.jobMaxBackoffMs,
    handlers: {
      ...taskJobHandlers(ctx),
      ...assignmentJobHandlers(ctx),
      ...slashCopyHandlers(ctx),
      ...slashFailedDutyHandlers(ctx),
      ...disputeJobHandlers(ctx),
      ...epochJobHandlers(ctx),
      ...flJobHandlers(ctx),
      ...reconciler.handlers,
    },
  });
  await http.ready();
  let indexTimer: NodeJS.Timeout | undefined;
  let emissionTimer: NodeJS.Timeout | undefined;
  let nonceTimer: NodeJS.Timeout | undefined;
  let reconcileTimer: NodeJS.Timeout | undefined;
  let minting: Promise<void> = Promise.resolve();
  let revenueTimer: NodeJS.Timeout | undefined;
  let revenueClosing: Promise<unknown> = Promise.resolve();
  return {
    http,
    scheduler,
    indexer,
    config,
    start() {
      scheduler.start();
      // The store is compared with the chain at start, then on a timer (a job: serialized with the others).
      const reconcile = (reason: "start" | "timer") =>
        reconciler
          .request(reason)
          .catch((error: unknown) => logger.warn({ error: errorText(error) }, "reconcile not scheduled"));
      if (reconcileTimer === undefined) {
        void reconcile("start");
        reconcileTimer = setInterval(() => void reconcile("timer"), config.reconcileIntervalMs);
      }
      // SPEC §3: a daily emission mint (at most one per 12 hours, enforced on-chain) funds the rewards.
      const mint = () => {
        minting = deps.chain
          .mintEmissionIfDue()
          .then(async (minted) => {
            if (minted === null) return;
            logger.info({ mintIndex: minted.mintIndex, amount: minted.amount }, "emission minted");
            await deps.repos.events.append("emission.minted", {
              mintIndex: minted.mintIndex.toString(),
              amount: minted.amount.toString(),
              transactionHash: minted.transactionHash,
            });
          })
          .catch((error: unknown) => logger.warn({ error: errorText(error) }, "emission mint failed"));
      };
      if (emissionTimer === undefined) {
        mint();
        emissionTimer = setInterval(mint, config.emissionPollMs);
      }
      // SPEC §2.4: usage revenue settles every epoch period, also when no task is ready (one close at a time).
      revenueTimer ??= setInterval(() => {
        revenueClosing = revenueClosing
          .then(() => closeRevenueEpochIfDue(ctx))
          .catch((error: unknown) => logger.warn({ error: errorText(error) }, "revenue epoch not closed"));
      }, config.emissionPollMs);
      // Used nonces are kept only while their requests could still pass the timestamp check.
      nonceTimer ??= setInterval(() => {
        deps.repos.nonces
          .pruneExpired(clock.now())
          .catch((error: unknown) => logger.warn({ error: errorText(error) }, "nonce pruning failed"));
      }, config.noncePruneMs);
      indexTimer ??= setInterval(() => {
        indexer
          .sync()
          .catch((error: unknown) => logger.warn({ error: errorText(error) }, "stake indexing failed"));
        // prepaid credit (UsageCredits deposits and withdrawal requests) counts as soon as it is indexed
        chainFactIndexerOf(ctx)
          .sync()
          .catch((error: unknown) => logger.warn({ error: errorText(error) }, "chain fact indexing failed"));
      }, config.indexerPollMs);
    },
    close: async () => {
      if (indexTimer !== undefined) clearInterval(indexTimer);
      if (emissionTimer !== undefined) clearInterval(emissionTimer);
      if (revenueTimer !== undefined) clearInterval(revenueTimer);
      if (nonceTimer !== undefined) clearInterval(nonceTimer);
      if (reconcileTimer !== undefined) clearInterval(reconcileTimer);
      await minting;
      await revenueClosing;
      await scheduler.stop();
      await http.close();
    },
  };
}
