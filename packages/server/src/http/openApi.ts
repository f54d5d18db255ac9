import { REQUEST_SIGNING } from "@flock/core";
import type { FastifyInstance } from "fastify";

/**
 * The OpenAPI document's shared parts: the signing headers as security schemes, stable operation ids and
 * each route's security, so generated clients get one name per operation and know which calls are signed.
 */

/** The four signing headers, each an apiKey scheme; a signed route requires all four together. */
export const SIGNING_SCHEMES = {
  flockAddress: REQUEST_SIGNING.headers.address,
  flockTimestamp: REQUEST_SIGNING.headers.timestamp,
  flockNonce: REQUEST_SIGNING.headers.nonce,
  flockSignature: REQUEST_SIGNING.headers.signature,
} as const;

export const securitySchemes = Object.fromEntries(
  Object.entries(SIGNING_SCHEMES).map(([scheme, header]) => [
    scheme,
    {
      type: "apiKey" as const,
      in: "header" as const,
      name: header,
      description: `EIP-712 FlockRequest: ${header}`,
    },
  ]),
);

/** One requirement naming all four schemes: OpenAPI's AND. */
export const signedSecurity = [
  Object.fromEntries(Object.keys(SIGNING_SCHEMES).map((scheme) => [scheme, []])),
];

function pascal(word: string): string {
  const camel = word.replace(/[-_.]+([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase());
  return camel.charAt(0).toUpperCase() + camel.slice(1);
}

/**
 * A stable camelCase operation id from the method and path: `GET /tasks/:id/submissions` →
 * `getTasksByIdSubmissions`. Derived, never written by hand, so two routes cannot share one.
 */
export function operationIdOf(method: string, url: string): string {
  const parts = url
    .split("/")
    .filter((segment) => segment !== "")
    .map((segment) => (segment.startsWith(":") ? `By${pascal(segment.slice(1))}` : pascal(segment)));
  return method.toLowerCase() + parts.join("");
}

/** Give every documented route its operation id and its security (signed, or `[]` for public routes). */
export function installOpenApiConventions(app: FastifyInstance): void {
  app.addHook("onRoute", (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const method = methods.find((m) => m !== "HEAD") ?? methods[0] ?? "GET";
    if (method === "HEAD" || route.schema === undefined) return;
    const schema = route.schema as Record<string, unknown>;
    if (schema.hide === true) return;
    schema.operationId ??= operationIdOf(method, route.url);
    schema.security = route.config?.auth === true ? signedSecurity : [];
  });
}
