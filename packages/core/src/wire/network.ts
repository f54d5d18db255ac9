import { type Static, Type } from "typebox";
import { DateTime } from "./primitives.ts";

/** A job a permanent error stopped, for the operator (`flock admin jobs retry <id>`). */
export const FailedJob = Type.Object({
  id: Type.Integer(),
  kind: Type.String(),
  taskId: Type.Optional(Type.Integer()),
  errorCode: Type.String(),
  error: Type.String(),
});

/** What the last comparison of the store with the chain found (repaired or not). */
export const ChainDifference = Type.Object({
  kind: Type.String(),
  taskId: Type.Optional(Type.Integer()),
  epoch: Type.Optional(Type.Integer()),
  jobId: Type.Optional(Type.Integer()),
  message: Type.String(),
  repaired: Type.Boolean(),
  hint: Type.Optional(Type.String()),
});

/** `GET /health`: liveness and what requests are signed for (EIP-712 domain: chain id, TaskStaking). */
export const Health = Type.Object(
  {
    ok: Type.Boolean(),
    chainId: Type.Integer(),
    requestVerifier: Type.Unsafe<`0x${string}`>(Type.String({ pattern: "^0x[0-9a-f]{40}$" })),
    failedJobs: Type.Array(FailedJob, {
      description: "jobs a permanent error stopped; `flock admin jobs retry <id>` runs one again",
    }),
    reconciledAt: Type.Optional(DateTime),
    chainDifferences: Type.Array(ChainDifference, {
      description: "what the last reconcile pass found between the store and the chain (repaired or not)",
    }),
  },
  { $id: "Health" },
);
export type Health = Static<typeof Health>;

/** `GET /network`: what `flock join` needs to take part from another machine. */
export const Network = Type.Object(
  {
    chainId: Type.Integer(),
    /** A JSON-RPC URL of the chain for participants. */
    rpcUrl: Type.String(),
    /** The deployment manifest (`flock-deployment/1`): contract addresses, roles, parameters. */
    deployment: Type.Unsafe<Record<string, unknown>>(Type.Object({}, { additionalProperties: true })),
  },
  { $id: "Network" },
);
export type Network = Static<typeof Network>;
