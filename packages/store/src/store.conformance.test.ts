import { afterAll, beforeAll, beforeEach, describe, it } from "vitest";
import { apiAccessCases } from "./apiAccess.cases.ts";
import { chainIndexCases } from "./chainIndex.cases.ts";
import { creditCases } from "./credits.cases.ts";
import type { DialectName } from "./database.ts";
import { flCases } from "./fl.cases.ts";
import { infrastructureCases } from "./infrastructure.cases.ts";
import { jobRecoveryCases } from "./jobRecovery.cases.ts";
import { modelCases } from "./models.cases.ts";
import { createRepositories, type Repositories } from "./repositories.ts";
import { settlementCases } from "./settlement.cases.ts";
import { submissionCases } from "./submissions.cases.ts";
import { taskCases } from "./tasks.cases.ts";
import type { StoreTestContext } from "./testing/fixtures.ts";
import { openTestDatabase, postgresAvailability, type TestDatabase } from "./testing/testDatabases.ts";
import { usageSettlementCases } from "./usageSettlement.cases.ts";
import { validationCases } from "./validation.cases.ts";

// One suite, every dialect (kysely's per-dialect test loop): PGlite in a temp folder and a real
// PostgreSQL (FLOCK_TEST_DATABASE_URL, or a throwaway cluster from Debian's binaries).
const DIALECTS: DialectName[] = ["pglite", "postgres"];
const postgres = postgresAvailability();

for (const dialect of DIALECTS) {
  if (dialect === "postgres" && postgres.kind === "missing") {
    if (postgres.required) {
      describe("store on postgres", () => {
        it("has a PostgreSQL to run on (required on CI)", () => {
          throw new Error(postgres.message);
        });
      });
    } else {
      console.warn(`store tests: skipping the PostgreSQL half: ${postgres.message}`);
      describe.skip("store on postgres (no PostgreSQL here)", () => {
        it("skipped", () => {});
      });
    }
    continue;
  }

  describe(`store on ${dialect}`, () => {
    let database: TestDatabase | undefined;
    let repos: Repositories | undefined;
    const ctx: StoreTestContext = {
      dialect,
      get db() {
        return database!.db;
      },
      get repos() {
        return repos!;
      },
    };

    beforeAll(async () => {
      database = await openTestDatabase(dialect);
      repos = createRepositories(database.db);
    });
    afterAll(async () => {
      await database?.dispose();
    });
    beforeEach(async () => {
      await database!.wipe();
    });

    describe("tasks", () => taskCases(ctx));
    describe("submissions", () => submissionCases(ctx));
    describe("assignments and scores", () => validationCases(ctx));
    describe("epochs, rewards and slashes", () => settlementCases(ctx));
    describe("stake and delegation index", () => chainIndexCases(ctx));
    describe("nonces, jobs, events, artifacts, transactions, migrations", () => infrastructureCases(ctx));
    describe("job recovery and the journal of chain writes", () => jobRecoveryCases(ctx));
    describe("federated tasks, rounds and messages", () => flCases(ctx));
    describe("model registry", () => modelCases(ctx));
    describe("usage credits", () => creditCases(ctx));
    describe("usage settlement", () => usageSettlementCases(ctx));
    describe("api access: keys, prices, plans, usage", () => apiAccessCases(ctx));
  });
}
