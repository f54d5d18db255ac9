import { AuthError, REQUEST_SIGNING, requestDomain } from "@flock/core";
import type { Repositories } from "@flock/store";
import { type Address, type Hex, isAddress, isHex, recoverTypedDataAddress, size } from "viem";

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

/**
 * Authenticate a request signed with EIP-712 (SPEC §5): the signature must recover to the claimed address,
 * the timestamp must be within ±60 s of now, and the nonce must be new for that account (recorded until
 * the timestamp leaves the window, so a replay is refused for as long as it could otherwise pass).
 * Returns the lowercase address of the signer.
 */
export async function verifyRequest(
  request: SignedRequest,
  context: { chainId: number; now: Date; nonces: Repositories["nonces"] },
): Promise<Address> {
  const names = REQUEST_SIGNING.headers;
  const claimed = header(request.headers, names.address);
  const timestampText = header(request.headers, names.timestamp);
  const nonce = header(request.headers, names.nonce);
  const signature = header(request.headers, names.signature);
  if (!isAddress(claimed, { strict: false })) throw malformed(names.address, "is not an address");
  if (!/^\d{1,15}$/.test(timestampText)) throw malformed(names.timestamp, "is not unix seconds");
  if (!isHex(nonce) || size(nonce) !== 32) throw malformed(names.nonce, "is not 32 bytes of hex");
  if (!isHex(signature) || size(signature) !== 65)
    throw malformed(names.signature, "is not a 65-byte signature");

  const timestamp = Number(timestampText);
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
      domain: requestDomain(context.chainId),
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
  if (recovered.toLowerCase() !== claimed.toLowerCase()) throw badSignature(claimed);

  const account = recovered.toLowerCase() as Address;
  const expiresAt = new Date((timestamp + REQUEST_SIGNING.maxSkewSeconds + 1) * 1000);
  await context.nonces.record(account, nonce, expiresAt);
  return account;
}

function badSignature(claimed: string, cause?: unknown): AuthError {
  return new AuthError("AUTH_BAD_SIGNATURE", `the signature does not match ${claimed} for this request`, {
    hint: "sign the exact method, path (with query), body, timestamp and nonce you send, on the network's chain id",
    details: { address: claimed },
    ...(cause === undefined ? {} : { cause }),
  });
}
