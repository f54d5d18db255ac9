import { NotFoundError, StorageError, ValidationError } from "@flock/core";

export function artifactNotFound(id: string): NotFoundError {
  return new NotFoundError("ARTIFACT_NOT_FOUND", `artifact ${id} is not in the store`, {
    hint: "upload it first, or check the content id",
    details: { id },
  });
}

export function artifactTooLarge(maxBytes: number): ValidationError {
  return new ValidationError("ARTIFACT_TOO_LARGE", `the artifact exceeds the limit of ${maxBytes} bytes`, {
    hint: "upload a smaller artifact (for a task, the limit follows its max trainable parameters)",
    details: { maxBytes },
  });
}

export function artifactHashMismatch(expected: string, actual: string): ValidationError {
  return new ValidationError(
    "ARTIFACT_HASH_MISMATCH",
    `the uploaded bytes hash to ${actual}, not ${expected}`,
    {
      hint: "upload exactly the artifact you committed; a changed byte changes its hash",
      details: { expected, actual },
    },
  );
}

export function artifactCorrupt(id: string, actual: string): StorageError {
  return new StorageError("ARTIFACT_CORRUPT", `stored artifact ${id} now hashes to ${actual}`, {
    hint: "the stored copy is damaged; restore it from a backup or have it uploaded again",
    details: { id, actual },
  });
}

/** Check a put's size limit. */
export function checkMaxBytes(maxBytes: number): void {
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) {
    throw new ValidationError("MAX_BYTES_INVALID", `maxBytes ${maxBytes} is not a byte count`, {
      hint: "pass a non-negative integer limit",
    });
  }
}
