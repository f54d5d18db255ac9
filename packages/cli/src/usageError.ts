import { ValidationError } from "@flock/core";

/** A command line the program cannot run: unknown command or option, missing or malformed argument. */
export class UsageError extends ValidationError {
  override readonly name: string = "UsageError";

  constructor(message: string, hint: string) {
    super("USAGE_ERROR", message, { hint });
  }
}
