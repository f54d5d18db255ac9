import { NotFoundError } from "@flock/core";
import type { FastifyInstance } from "fastify";
import type { AppContext } from "../deps.ts";
import { errorResponses } from "../http/schemas.ts";
import { wireRef } from "../http/wireSchemas.ts";

/**
 * How to join this coordinator's network: the chain id, a JSON-RPC URL for the chain, and the deployment
 * manifest (contract addresses, roles, parameters), so a node on another machine needs only the API URL.
 */
export function registerNetworkRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get(
    "/network",
    {
      schema: {
        summary: "The chain and contract deployment of this network (what `flock join` reads)",
        tags: ["network"],
        response: { 200: wireRef("Network"), ...errorResponses },
      },
    },
    async () => {
      if (ctx.network === undefined) {
        throw new NotFoundError("NETWORK_NOT_PUBLISHED", "this coordinator does not publish its network", {
          hint: "its operator starts it with the deployment manifest and a public RPC URL (startCoordinator does)",
        });
      }
      return { chainId: ctx.chain.chainId, rpcUrl: ctx.network.rpcUrl, deployment: ctx.network.deployment };
    },
  );
}
