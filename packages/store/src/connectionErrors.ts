import { StorageError } from "@flock/core";
import type { DatabaseConnection, Dialect, Driver, Kysely, TransactionSettings } from "kysely";

/**
 * Wrap a dialect so that failing to get a connection (server down, wrong URL, pool closed) is a
 * StorageError DATABASE_UNREACHABLE with a hint, on every query, not a raw driver error. Query errors
 * pass through unchanged: repositories translate them by SQLSTATE.
 */
export function reportConnectionErrors(dialect: Dialect): Dialect {
  return {
    createDriver: () => wrapDriver(dialect.createDriver()),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createAdapter: () => dialect.createAdapter(),
    // biome-ignore lint/suspicious/noExplicitAny: the Dialect interface itself types this as Kysely<any>.
    createIntrospector: (db: Kysely<any>) => dialect.createIntrospector(db),
  };
}

function wrapDriver(driver: Driver): Driver {
  return {
    init: () => driver.init(),
    acquireConnection: async () => {
      try {
        return await driver.acquireConnection();
      } catch (cause) {
        throw new StorageError("DATABASE_UNREACHABLE", "could not connect to the PostgreSQL database", {
          hint: "check DATABASE_URL (host, port, user, password, database name) and that the server is running",
          cause,
        });
      }
    },
    beginTransaction: (connection: DatabaseConnection, settings: TransactionSettings) =>
      driver.beginTransaction(connection, settings),
    commitTransaction: (connection: DatabaseConnection) => driver.commitTransaction(connection),
    rollbackTransaction: (connection: DatabaseConnection) => driver.rollbackTransaction(connection),
    ...(driver.savepoint === undefined ? {} : { savepoint: driver.savepoint.bind(driver) }),
    ...(driver.rollbackToSavepoint === undefined
      ? {}
      : { rollbackToSavepoint: driver.rollbackToSavepoint.bind(driver) }),
    ...(driver.releaseSavepoint === undefined
      ? {}
      : { releaseSavepoint: driver.releaseSavepoint.bind(driver) }),
    releaseConnection: (connection: DatabaseConnection) => driver.releaseConnection(connection),
    destroy: () => driver.destroy(),
  };
}
