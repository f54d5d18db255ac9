import { REQUEST_SIGNING, requestDomain } from "@flock/core";
import { type Address, bytesToHex, type Hex, type LocalAccount, sha256 } from "viem";
import { RECORDING_REQUEST_VERIFIER } from "./recordingChainGateway.ts";

/** Sign a request for tests of the server (the SDK has the client-side version; this one can forge fields). */
export async function signedHeaders(parameters: {
  account: LocalAccount;
  chainId: number;
  /**
   * The deployment's TaskStaking address (the gateway's `requestVerifier`); the recording gateway's by
   * default, which route tests run on. Tests over a real chain pass their gateway's.
   */
  verifyingContract?: Address;
  method: string;
  path: string;
  body?: Uint8Array | string;
  bodyHash?: Hex;
  timestamp?: number;
  nonce?: Hex;
}): Promise<Record<string, string>> {
  const body =
    typeof parameters.body === "string" ? new TextEncoder().encode(parameters.body) : parameters.body;
  const timestamp = BigInt(parameters.timestamp ?? Math.floor(Date.now() / 1000));
  const nonce = parameters.nonce ?? bytesToHex(crypto.getRandomValues(new Uint8Array(32)));
  const signature = await parameters.account.signTypedData({
    domain: requestDomain(parameters.chainId, parameters.verifyingContract ?? RECORDING_REQUEST_VERIFIER),
    types: REQUEST_SIGNING.types,
    primaryType: REQUEST_SIGNING.primaryType,
    message: {
      method: parameters.method,
      path: parameters.path,
      bodyHash: parameters.bodyHash ?? sha256(body ?? new Uint8Array(0)),
      timestamp,
      nonce,
    },
  });
  return {
    [REQUEST_SIGNING.headers.address]: parameters.account.address,
    [REQUEST_SIGNING.headers.timestamp]: timestamp.toString(),
    [REQUEST_SIGNING.headers.nonce]: nonce,
    [REQUEST_SIGNING.headers.signature]: signature,
  };
}
