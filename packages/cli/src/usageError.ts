import { ValidationError } from "@flock/core";

/** A command line the program cannot run: unknown command or option, missing or malformed argument. */
export class UsageError extends ValidationError {
  override readonly name: string = "UsageError";

  /** `code` names the mistake when a command knows it better than USAGE_ERROR (e.g. FL_STRATEGY_UNKNOWN). */
  constructor(message: string, hint: string, code = "USAGE_ERROR") {
    super(code, message, { hint });
  }
}
