import { REQUEST_SIGNING, requestDomain } from "@flock/core";
import { bytesToHex, type Hex, type LocalAccount, sha256 } from "viem";

/** The signing definition is shared with the coordinator through `@flock/core`. */
export { REQUEST_SIGNING, requestDomain };

/** The signed message of one request. */
export interface FlockRequestMessage {
  method: string;
  /** Path and query exactly as sent, e.g. `/tasks?status=open`. */
  path: string;
  /** sha256 of the raw body bytes (of nothing for an empty body). */
  bodyHash: Hex;
  /** Unix seconds. */
  timestamp: bigint;
  /** 32 random bytes, never reused. */
  nonce: Hex;
}

/** sha256 of a request body as bytes32 (an empty body hashes the empty string). */
export function hashBody(body: Uint8Array | undefined): Hex {
  return sha256(body ?? new Uint8Array(0));
}

/** 32 fresh random bytes for a request nonce. */
export function randomNonce(): Hex {
  return bytesToHex(crypto.getRandomValues(new Uint8Array(32)));
}

export interface SignRequestParameters {
  account: LocalAccount;
  chainId: number;
  /** The deployment's TaskStaking address (`requestVerifier` in `GET /health`): binds the request to it. */
  verifyingContract: Hex;
  method: string;
  path: string;
  /** The exact bytes to send; or, for a streamed upload, give `bodyHash` (the artifact's sha256) instead. */
  body?: Uint8Array;
  bodyHash?: Hex;
  /** Unix seconds; now by default. */
  timestamp?: bigint;
  nonce?: Hex;
}

/** Sign a request and return the four `x-flock-*` headers to send with it. */
export async function signRequest(parameters: SignRequestParameters): Promise<Record<string, string>> {
  const message: FlockRequestMessage = {
    method: parameters.method.toUpperCase(),
    path: parameters.path,
    bodyHash: parameters.bodyHash ?? hashBody(parameters.body),
    timestamp: parameters.timestamp ?? BigInt(Math.floor(Date.now() / 1000)),
    nonce: parameters.nonce ?? randomNonce(),
  };
  const signature = await parameters.account.signTypedData({
    domain: requestDomain(parameters.chainId, parameters.verifyingContract),
    types: REQUEST_SIGNING.types,
    primaryType: REQUEST_SIGNING.primaryType,
    message,
  });
  const { headers } = REQUEST_SIGNING;
  return {
    [headers.address]: parameters.account.address,
    [headers.timestamp]: message.timestamp.toString(),
    [headers.nonce]: message.nonce,
    [headers.signature]: signature,
  };
}
