import { contentId } from "@flock/core";
import { sha256 } from "viem";
import { verifyRequest } from "../src/auth/verifyRequest.ts";
import { RECORDING_REQUEST_VERIFIER } from "../src/testing/recordingChainGateway.ts";
import { signedHeaders } from "../src/testing/signedHeaders.ts";
import { key } from "./coordinatorSections.ts";
import { quantile, round } from "./stats.ts";

/** The cost of verifyRequest alone: an in-memory nonce set stands in for the store's nonce insert. */
export async function benchVerify(): Promise<{ perSecond: number; medianMs: number; p95Ms: number }> {
  const account = key();
  const now = new Date();
  const body = JSON.stringify({ commitHash: contentId("adapter") });
  const requests = [];
  for (let i = 0; i < 450; i++) {
    const path = `/tasks/${i}/submissions`;
    const headers = await signedHeaders({ account, chainId: 31337, method: "POST", path, body });
    requests.push({ method: "POST", path, headers, bodyHash: sha256(new TextEncoder().encode(body)) });
  }
  const seen = new Set<string>();
  const nonces = {
    record: async (signer: string, nonce: string) => {
      if (seen.has(`${signer}:${nonce}`)) throw new Error("replayed");
      seen.add(`${signer}:${nonce}`);
    },
  } as unknown as Parameters<typeof verifyRequest>[1]["nonces"];
  const latencies: number[] = [];
  const start = { at: 0 };
  for (const [i, request] of requests.entries()) {
    if (i === 50) start.at = performance.now();
    const began = performance.now();
    await verifyRequest(request, {
      chainId: 31337,
      verifyingContract: RECORDING_REQUEST_VERIFIER,
      now,
      nonces,
    });
    if (i >= 50) latencies.push(performance.now() - began);
  }
  const seconds = (performance.now() - start.at) / 1000;
  return {
    perSecond: round(latencies.length / seconds),
    medianMs: round(quantile(latencies, 0.5)),
    p95Ms: round(quantile(latencies, 0.95)),
  };
}
