import type { Migration, MigrationProvider } from "kysely/migration";
import * as initial from "./0001_initial.ts";
import * as publicArtifacts from "./0002_public_artifacts.ts";
import * as chainFacts from "./0003_chain_facts.ts";
import * as requestEdge from "./0004_request_edge.ts";
import * as arenaRules from "./0005_arena_rules.ts";
import * as networkEpochs from "./0006_network_epochs.ts";
import * as chainWrites from "./0007_chain_writes.ts";
import * as emissionWeightZero from "./0008_emission_weight_zero.ts";
import * as chainWriteSent from "./0009_chain_write_sent.ts";
import * as taskCancelled from "./0010_task_cancelled.ts";
import * as federatedTasks from "./0011_federated_tasks.ts";
import * as flContributions from "./0012_fl_contributions.ts";
import * as flServerState from "./0013_fl_server_state.ts";
import * as models from "./0014_models.ts";
import * as credits from "./0015_credits.ts";
import * as apiAccess from "./0016_api_access.ts";

/**
 * Every migration, in order. Names sort in application order; never rename or edit a shipped
 * migration: add the next one.
 */
export const migrations: Record<string, Migration> = {
  "0001_initial": initial,
  "0002_public_artifacts": publicArtifacts,
  "0003_chain_facts": chainFacts,
  "0004_request_edge": requestEdge,
  "0005_arena_rules": arenaRules,
  "0006_network_epochs": networkEpochs,
  "0007_chain_writes": chainWrites,
  "0008_emission_weight_zero": emissionWeightZero,
  "0009_chain_write_sent": chainWriteSent,
  "0010_task_cancelled": taskCancelled,
  "0011_federated_tasks": federatedTasks,
  "0012_fl_contributions": flContributions,
  "0013_fl_server_state": flServerState,
  "0014_models": models,
  "0015_credits": credits,
  "0016_api_access": apiAccess,
};

/** Kysely's migration provider over the in-code list (no file-system scanning). */
export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
