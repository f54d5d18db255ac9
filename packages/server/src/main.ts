/**
 * The coordinator process: `node packages/server/src/main.ts`. Configured by the environment (see
 * README: FLOCK_HOME, DATABASE_URL, FLOCK_API_HOST/PORT, FLOCK_RPC_URL + FLOCK_DEPLOYMENT +
 * FLOCK_COORDINATOR_KEY, or a local anvil in the data folder by default). Stops cleanly on SIGINT/SIGTERM.
 */
import { isFlockError } from "@flock/core";
import { coordinatorOptionsFromEnv, startCoordinator } from "./startCoordinator.ts";

try {
  const coordinator = await startCoordinator(coordinatorOptionsFromEnv());
  coordinator.app.http.log.info({ url: coordinator.url }, "coordinator listening");
  const stop = async () => {
    await coordinator.close();
    process.exit(0);
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
} catch (error) {
  if (isFlockError(error)) {
    console.error(
      `${error.code}: ${error.message}${error.hint === undefined ? "" : `\n  hint: ${error.hint}`}`,
    );
  } else {
    console.error(error);
  }
  process.exit(1);
}
