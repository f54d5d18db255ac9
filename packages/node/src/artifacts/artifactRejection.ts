import { ValidationError } from "@flock/core";

/** Why a validator refused an artifact instead of scoring it; the code is recorded with the refusal. */
export type ArtifactRejectionCode =
  | "ARTIFACT_HASH_MISMATCH"
  | "ARTIFACT_TOO_LARGE"
  | "ARTIFACT_MALFORMED"
  | "ARTIFACT_WRONG_BASE"
  | "ARTIFACT_TOO_MANY_PARAMS"
  | "ARTIFACT_NOT_FINITE";

/** A submission's artifact that cannot be scored; validators report it as refused with this reason. */
export class ArtifactRejectedError extends ValidationError {
  override readonly name: string = "ArtifactRejectedError";

  constructor(code: ArtifactRejectionCode, message: string, details: Record<string, unknown> = {}) {
    super(code, message, {
      hint: "the trainer must commit and upload a new artifact in the flock-lora-adapter/1 format",
      details,
    });
  }
}
