import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import { createLogger, REQUEST_SIGNING, ValidationError } from "@flock/core";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import { installAuth } from "./auth/authHook.ts";
import {
  type AppContext,
  type AppDeps,
  defaultServerConfig,
  type ServerConfig,
  systemClock,
} from "./deps.ts";
import { disputeJobHandlers } from "./disputes/disputeJobs.ts";
import { lazyEngineEvaluator } from "./disputes/lazyEngineEvaluator.ts";
import { installErrorHandling } from "./http/errorHandler.ts";
import { errorText, FlatRequestLog } from "./http/requestLog.ts";
import { registerArtifactRoutes } from "./routes/artifactRoutes.ts";
import { registerDisputeRoutes } from "./routes/disputeRoutes.ts";
import { registerEpochRoutes } from "./routes/epochRoutes.ts";
import { registerEventRoutes } from "./routes/eventRoutes.ts";
import { registerNetworkRoutes } from "./routes/networkRoutes.ts";
import { registerSubmissionRoutes } from "./routes/submissionRoutes.ts";
import { registerTaskRoutes } from "./routes/taskRoutes.ts";
import { registerValidationRoutes } from "./routes/validationRoutes.ts";
import { createScheduler, type Scheduler } from "./scheduler/scheduler.ts";
import { createStakeIndexer, type StakeIndexer } from "./stakes/stakeIndexer.ts";
import { slashCopyHandlers } from "./submissions/slashCopy.ts";
import { taskJobHandlers } from "./tasks/taskJobs.ts";
import { assignmentJobHandlers } from "./validation/assignmentJobs.ts";

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
  const clock = deps.clock ?? systemClock;
  const logger = deps.logger ?? createLogger("flock-server");
  const http = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    logController: new FlatRequestLog(),
    bodyLimit: 1024 * 1024,
    // Closing means shutting down: open event streams and keep-alive sockets must not hold it up.
    forceCloseConnections: true,
  });
  const ctx: AppContext = {
    ...deps,
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
  // Artifacts stream straight into the artifact store, which enforces their size and hash.
  http.addContentTypeParser("application/octet-stream", (_request, payload, done) => done(null, payload));

  installErrorHandling(http);
  installAuth(http, { chainId: deps.chain.chainId, clock, repos: deps.repos });

  await http.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "Flock coordinator",
        version: "0.1.0",
        description:
          "Signed requests carry four headers (" +
          Object.values(REQUEST_SIGNING.headers).join(", ") +
          "): an EIP-712 FlockRequest signature over method, path, sha256 of the body, timestamp and nonce.",
      },
      components: {
        securitySchemes: {
          flockSignature: { type: "apiKey", in: "header", name: REQUEST_SIGNING.headers.signature },
        },
      },
    },
  });
  await http.register(swaggerUi, { routePrefix: "/docs" });
  http.get("/openapi.json", { schema: { hide: true } }, async () => http.swagger());
  http.get(
    "/health",
    {
      schema: {
        summary: "Liveness and the chain id requests must be signed for",
        response: {
          200: { type: "object", properties: { ok: { type: "boolean" }, chainId: { type: "integer" } } },
        },
      },
    },
    async () => ({ ok: true, chainId: deps.chain.chainId }),
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

  const scheduler = createScheduler({
    repos: deps.repos,
    clock,
    logger,
    pollMs: config.schedulerPollMs,
    handlers: {
      ...taskJobHandlers(ctx),
      ...assignmentJobHandlers(ctx),
      ...slashCopyHandlers(ctx),
      ...disputeJobHandlers(ctx),
    },
  });
  await http.ready();
  let indexTimer: NodeJS.Timeout | undefined;
  let emissionTimer: NodeJS.Timeout | undefined;
  let minting: Promise<void> = Promise.resolve();
  return {
    http,
    scheduler,
    indexer,
    config,
    start() {
      scheduler.start();
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
      indexTimer ??= setInterval(() => {
        indexer
          .sync()
          .catch((error: unknown) => logger.warn({ error: errorText(error) }, "stake indexing failed"));
      }, config.indexerPollMs);
    },
    close: async () => {
      if (indexTimer !== undefined) clearInterval(indexTimer);
      if (emissionTimer !== undefined) clearInterval(emissionTimer);
      await minting;
      await scheduler.stop();
      await http.close();
    },
  };
}
