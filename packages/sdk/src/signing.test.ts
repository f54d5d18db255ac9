import { recoverTypedDataAddress, sha256 } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { hashBody, REQUEST_SIGNING, requestDomain, signRequest } from "./signing.ts";

const deployment = "0x5FbDB2315678afecb367f032d93F642f64180aa3" as const;
const otherDeployment = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512" as const;

describe("request signing", () => {
  it("signs method, path, body hash, timestamp and nonce so the server recovers the signer", async () => {
    const account = privateKeyToAccount(generatePrivateKey());
    const body = new TextEncoder().encode('{"a":1}');
    const headers = await signRequest({
      account,
      chainId: 31337,
      verifyingContract: deployment,
      method: "post",
      path: "/tasks?x=1",
      body,
    });
    const h = REQUEST_SIGNING.headers;
    expect(headers[h.address]).toBe(account.address);
    expect(headers[h.nonce]).toMatch(/^0x[0-9a-f]{64}$/);
    expect(Math.abs(Number(headers[h.timestamp]) - Date.now() / 1000)).toBeLessThan(5);
    const recovered = await recoverTypedDataAddress({
      domain: requestDomain(31337, deployment),
      types: REQUEST_SIGNING.types,
      primaryType: REQUEST_SIGNING.primaryType,
      message: {
        method: "POST",
        path: "/tasks?x=1",
        bodyHash: sha256(body),
        timestamp: BigInt(headers[h.timestamp]!),
        nonce: headers[h.nonce] as `0x${string}`,
      },
      signature: headers[h.signature] as `0x${string}`,
    });
    expect(recovered).toBe(account.address);
  });

  it("hashes an empty body as sha256 of nothing, and never reuses a nonce", async () => {
    expect(hashBody(undefined)).toBe("0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const account = privateKeyToAccount(generatePrivateKey());
    const a = await signRequest({
      account,
      chainId: 1,
      verifyingContract: deployment,
      method: "GET",
      path: "/assignments",
    });
    const b = await signRequest({
      account,
      chainId: 1,
      verifyingContract: deployment,
      method: "GET",
      path: "/assignments",
    });
    expect(a[REQUEST_SIGNING.headers.nonce]).not.toBe(b[REQUEST_SIGNING.headers.nonce]);
  });

  it("binds the deployment: the same request signed for another TaskStaking recovers to someone else", async () => {
    const account = privateKeyToAccount(generatePrivateKey());
    const headers = await signRequest({
      account,
      chainId: 31337,
      verifyingContract: otherDeployment,
      method: "GET",
      path: "/assignments",
    });
    const h = REQUEST_SIGNING.headers;
    const message = {
      method: "GET",
      path: "/assignments",
      bodyHash: hashBody(undefined),
      timestamp: BigInt(headers[h.timestamp]!),
      nonce: headers[h.nonce] as `0x${string}`,
    };
    const recover = (verifyingContract: `0x${string}`) =>
      recoverTypedDataAddress({
        domain: requestDomain(31337, verifyingContract),
        types: REQUEST_SIGNING.types,
        primaryType: REQUEST_SIGNING.primaryType,
        message,
        signature: headers[h.signature] as `0x${string}`,
      });
    expect(await recover(otherDeployment)).toBe(account.address);
    expect(await recover(deployment)).not.toBe(account.address);
    // The address's case is not part of the domain: EIP-712 hashes it as 20 bytes.
    expect(await recover(otherDeployment.toLowerCase() as `0x${string}`)).toBe(account.address);
  });
});
