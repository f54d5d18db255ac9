import { AuthError, REQUEST_SIGNING, requestDomain } from "@flock/core";
import type { Repositories } from "@flock/store";
import { type Address, type Hex, recoverTypedDataAddress } from "viem";

/** What the server knows about one incoming request. */
export interface SignedRequest {
  method: string;
  /** Path and query as received. */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** sha256 of the raw body as bytes32, or for a streamed upload the hash its bytes must have. */
  bodyHash: Hex;
}

function header(headers: SignedRequest["headers"], name: string): string {
  const value = headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text === "") {
    throw new AuthError("AUTH_REQUIRED", `the request has no ${name} header`, {
      hint: "sign every request with your chain key (EIP-712 FlockRequest); the Flock SDK does it for you",
      details: { header: name },
    });
  }
  return text;
}

function malformed(name: string, why: string): AuthError {
  return new AuthError("AUTH_MALFORMED", `the ${name} header ${why}`, {
    hint: "send the headers exactly as the SDK's signRequest produces them",
    details: { header: name },
  });
}

/** secp256k1's group order n: a signature's s must be at most n/2 (EIP-2), or its twin (n − s) would verify too. */
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** The header values in their one accepted spelling: each signed request has exactly one encoding. */
interface CanonicalHeaders {
  claimed: string;
  timestamp: number;
  nonce: Hex;
  signature: Hex;
}

/**
 * Read the four headers and reduce them to one canonical form. EIP-712 reads hex without regard to case, so
 * the nonce is lowercased before it is recorded (else `0xAB…` and `0xab…` would be two nonces for one
 * signature); timestamps are plain decimals without leading zeros; signatures must be low-s with v 27/28, so
 * the malleable twin of a signature is refused rather than accepted as a new request.
 */
function canonicalHeaders(headers: SignedRequest["headers"]): CanonicalHeaders {
  const names = REQUEST_SIGNING.headers;
  const claimed = header(headers, names.address);
  const timestampText = header(headers, names.timestamp);
  const nonce = header(headers, names.nonce);
  const signature = header(headers, names.signature);
  if (!/^0x[0-9a-fA-F]{40}$/.test(claimed)) throw malformed(names.address, "is not an address");
  if (!/^(0|[1-9][0-9]{0,14})$/.test(timestampText))
    throw malformed(names.timestamp, "is not unix seconds (a decimal without leading zeros)");
  if (!/^0x[0-9a-fA-F]{64}$/.test(nonce)) throw malformed(names.nonce, "is not 32 bytes of hex");
  if (!/^0x[0-9a-fA-F]{130}$/.test(signature)) throw malformed(names.signature, "is not a 65-byte signature");
  const s = BigInt(`0x${signature.slice(66, 130)}`);
  const v = Number.parseInt(signature.slice(130, 132), 16);
  if (s === 0n || s > SECP256K1_N / 2n || (v !== 27 && v !== 28)) {
    throw malformed(names.signature, "is not a canonical signature (low s, v 27 or 28; EIP-2)");
  }
  return {
    claimed: claimed.toLowerCase(),
    timestamp: Number(timestampText),
    nonce: nonce.toLowerCase() as Hex,
    signature: signature.toLowerCase() as Hex,
  };
}

/**
 * Authenticate a request signed with EIP-712 (SPEC §5): the signature must recover to the claimed address,
 * the timestamp must be within ±60 s of now, and the nonce must be new for that account (recorded until
 * the timestamp leaves the window, so a replay is refused for as long as it could otherwise pass).
 * Returns the lowercase address of the signer.
 */
export async function verifyRequest(
  request: SignedRequest,
  context: {
    chainId: number;
    /** The deployment's TaskStaking address: the domain's verifyingContract. */
    verifyingContract: Address;
    now: Date;
    nonces: Repositories["nonces"];
  },
): Promise<Address> {
  const { claimed, timestamp, nonce, signature } = canonicalHeaders(request.headers);
  const nowSeconds = Math.floor(context.now.getTime() / 1000);
  if (Math.abs(nowSeconds - timestamp) > REQUEST_SIGNING.maxSkewSeconds) {
    throw new AuthError(
      "AUTH_EXPIRED",
      `the request was signed at ${timestamp}, the server's time is ${nowSeconds}`,
      {
        hint: `sign requests just before sending them and keep your clock within ${REQUEST_SIGNING.maxSkewSeconds} s of the server's`,
        details: { timestamp, serverTime: nowSeconds },
      },
    );
  }

  let recovered: Address;
  try {
    recovered = await recoverTypedDataAddress({
      domain: requestDomain(context.chainId, context.verifyingContract),
      types: REQUEST_SIGNING.types,
      primaryType: REQUEST_SIGNING.primaryType,
      message: {
        method: request.method.toUpperCase(),
        path: request.path,
        bodyHash: request.bodyHash,
        timestamp: BigInt(timestamp),
        nonce,
      },
      signature,
    });
  } catch (cause) {
    throw badSignature(claimed, cause);
  }
  if (recovered.toLowerCase() !== claimed) throw badSignature(claimed);

  const account = recovered.toLowerCase() as Address;
  const expiresAt = new Date((timestamp + REQUEST_SIGNING.maxSkewSeconds + 1) * 1000);
  await context.nonces.record(account, nonce, expiresAt);
  return account;
}

function badSignature(claimed: string, cause?: unknown): AuthError {
  return new AuthError("AUTH_BAD_SIGNATURE", `the signature does not match ${claimed} for this request`, {
    hint: "sign the exact method, path (with query), body, timestamp and nonce you send, for this network's chain id and deployment (chainId and requestVerifier from GET /health)",
    details: { address: claimed },
    ...(cause === undefined ? {} : { cause }),
  });
}
