import { createHash, randomBytes } from "node:crypto";

/** Every secret starts so, to be recognisable in logs and secret scanners. */
export const API_KEY_PREFIX = "flk_";

/** sha256 of a secret, lowercase hex: all the coordinator keeps of it. */
export function hashApiKey(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

/** A new secret (`flk_` + 32 random bytes base64url), its sha256 and the prefix shown in listings. */
export function generateApiKey(): { secret: string; secretHash: string; prefix: string } {
  const secret = `${API_KEY_PREFIX}${randomBytes(32).toString("base64url")}`;
  return { secret, secretHash: hashApiKey(secret), prefix: secret.slice(0, API_KEY_PREFIX.length + 6) };
}
