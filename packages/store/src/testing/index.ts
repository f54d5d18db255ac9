export * from "./fixtures.ts";
export * from "./postgresServer.ts";
export * from "./s3TestServer.ts";
export * from "./testDatabases.ts";
