/**
 * The one place that maps a FlockError to an HTTP status is core's `ERROR_CODES` table (by code, then by the
 * error's class); re-exported here for the server's error handler and tests.
 */
export { httpStatusOf } from "@flock/core";
