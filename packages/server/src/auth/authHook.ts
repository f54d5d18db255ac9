import type { Repositories } from "@flock/store";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Address, Hex } from "viem";
import { sha256 } from "viem";
import type { Clock } from "../deps.ts";
import { verifyRequest } from "./verifyRequest.ts";

declare module "fastify" {
  interface FastifyRequest {
    /** The authenticated signer (lowercase), set on routes with `config.auth`. */
    account: Address | null;
    /** The raw JSON body bytes, kept so the signature's body hash can be checked. */
    rawBody: Buffer | null;
  }
  interface FastifyContextConfig {
    /** The route needs a signed request. */
    auth?: boolean;
    /**
     * For a streamed body (an artifact upload): the hash its bytes must have. The signature covers it,
     * and the artifact store refuses bytes that do not hash to it, so the body is checked while it streams.
     */
    streamedBodyHash?: (request: FastifyRequest) => Promise<Hex>;
  }
}

/** The signer of an authenticated request. */
export function signerOf(request: FastifyRequest): Address {
  if (request.account === null) throw new Error(`route ${request.url} is not configured with auth`);
  return request.account;
}

/** Verify signed requests on every route that asks for it (after body parsing, before the handler). */
export function installAuth(
  app: FastifyInstance,
  context: { chainId: number; verifyingContract: Address; clock: Clock; repos: Repositories },
): void {
  app.decorateRequest("account", null);
  app.decorateRequest("rawBody", null);
  app.addHook("preHandler", async (request) => {
    const config = request.routeOptions.config;
    if (config.auth !== true) return;
    const bodyHash =
      config.streamedBodyHash !== undefined
        ? await config.streamedBodyHash(request)
        : sha256(request.rawBody ?? new Uint8Array(0));
    request.account = await verifyRequest(
      { method: request.method, path: request.url, headers: request.headers, bodyHash },
      {
        chainId: context.chainId,
        verifyingContract: context.verifyingContract,
        now: context.clock.now(),
        nonces: context.repos.nonces,
      },
    );
  });
}
