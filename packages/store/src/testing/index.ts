export * from "./fixtures.ts";
export * from "./postgresServer.ts";
export * from "./testDatabases.ts";
