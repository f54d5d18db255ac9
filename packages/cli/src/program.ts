import { availableParallelism } from "node:os";
import { ATTACKS, CONTRIBUTION_METHODS, DP_MODES, STRATEGIES } from "@flock/fl";
import { Command, Option } from "commander";
import { runLocks, runUse, runWhoami } from "./commands/account.ts";
import { runAdminJobRetry, runAdminJobs } from "./commands/admin.ts";
import { runAudit } from "./commands/audit.ts";
import { runClaim } from "./commands/claim.ts";
import { runCreditsBalance, runCreditsDeposit, runCreditsWithdraw } from "./commands/credits.ts";
import { runDemoCommand } from "./commands/demo.ts";
import { runEpochs, runTaskLeaderboard } from "./commands/epochs.ts";
import { runFlCreate, runFlJoin, runFlList, runFlRounds, runFlShards, runFlShow } from "./commands/fl.ts";
import { runFlSimulate } from "./commands/flSimulate.ts";
import { FL_SIMULATE_DEFAULTS as FL } from "./commands/flSimulateOptions.ts";
import { runJoin } from "./commands/join.ts";
import {
  runKeysCreate,
  runKeysList,
  runKeysPlans,
  runKeysRevoke,
  runKeysSubscribe,
  runUsage,
} from "./commands/keys.ts";
import { runModelsCard, runModelsDownload, runModelsList, runModelsShow } from "./commands/models.ts";
import { runTrain, runValidate } from "./commands/nodes.ts";
import {
  runTaskApprove,
  runTaskCreate,
  runTaskFund,
  runTaskList,
  runTaskOpen,
  runTaskShow,
} from "./commands/task.ts";
import { runUp } from "./commands/up.ts";
import { runBalance, runDelegate, runLock, runPool, runStake } from "./commands/wallet.ts";
import { type CommandContext, commandContext } from "./context.ts";
import type { CliIo } from "./io.ts";
import { followNetwork } from "./network/followNetwork.ts";

/** The `flock` command tree; handlers get a context built from the global options. */
export function buildProgram(io: CliIo, signal: AbortSignal): Command {
  const program = new Command("flock")
    .description("Flock: decentralized, incentivized AI training on one machine or many")
    .option("--home <dir>", "data folder (default: $FLOCK_HOME, else ~/.flock)")
    .option("--json", "print results as JSON for scripts")
    .exitOverride()
    .showSuggestionAfterError()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      // Usage errors are printed by main as code + message + hint.
      outputError: () => {},
    });

  // Commands that talk to the home's network first make sure it is where network.json says (a joined home
  // follows a network whose chain moved, see followNetwork); `local` ones (up, demo, join, whoami, use) do not.
  const command =
    (usesNetwork: boolean) =>
    <A extends unknown[]>(handler: (ctx: CommandContext, ...args: A) => Promise<void>) =>
    async (...args: unknown[]) => {
      const ctx = commandContext(args[args.length - 1] as Command, io, signal);
      if (usesNetwork) await followNetwork(ctx);
      await handler(ctx, ...(args.slice(0, -1) as A));
    };
  const run = command(true);
  const local = command(false);
  // One rule for every command: --account, else the home's default account (`flock whoami`, `flock use`).
  const account = () =>
    new Option(
      "--account <name>",
      "key name in the home's keys.json, or a 0x private key (default: the home's default account, see `flock whoami`)",
    );

  program
    .command("up")
    .description("run the embedded network (local chain, PGlite, artifact folder, coordinator) until Ctrl-C")
    .option("--port <port>", "API port (0: any free port)", "8780")
    .option(
      "--host <address>",
      "address the API and the chain listen on (0.0.0.0: other machines too)",
      "127.0.0.1",
    )
    .option("--advertise <host>", "host name other machines reach this one by (given out by GET /network)")
    .option("--demo", "run the demo story on the network, then keep serving")
    .option("--quick", "with --demo: smaller model and fewer steps")
    .option(
      "--deadline <seconds>",
      "with --demo: seconds the trainers get before the submission deadline (default: measured on this machine)",
    )
    .option("--trainers <n>", "local trainer nodes to run (dev accounts bo, cy, di)", "0")
    .option("--validators <n>", "local validator nodes to run (dev accounts ed, flo, gus)", "0")
    .action(local(runUp));

  program
    .command("demo")
    .description(
      "the whole story on one machine: base model, task, 3 trainers, 3 validators, consensus, claims",
    )
    .option("--quick", "smaller model and fewer steps (for tests)")
    .option(
      "--deadline <seconds>",
      "seconds the trainers get before the submission deadline (default: measured on this machine)",
    )
    .action(local(runDemoCommand));

  const task = program.command("task").description("create, list and show training tasks");
  task
    .command("create")
    .description(
      "create a task: an lm-lora task from a base model file and ShareGPT JSONL training and hidden validation sets, or a classifier or regressor task from CSV sets and a tabular base model (or --hidden to build one)",
    )
    .requiredOption("--title <text>", "task title")
    .option("--description <text>", "what the model should learn", "")
    .addOption(
      new Option(
        "--type <type>",
        "lm-lora or lm-full (LoRA or full fine-tune of a language model, scored in bits per byte), classifier (an MLP scored by log-loss) or regressor (an MLP scored by RMSE)",
      )
        .choices(["lm-lora", "lm-full", "classifier", "regressor"])
        .default("lm-lora"),
    )
    .option(
      "--base-model <file|id>",
      "base model file (flock-llama/1 for lm-lora and lm-full, flock-tabular-mlp/1 for classifier and regressor), or the content id of a published flock-llama/1 base model",
    )
    .option(
      "--training-set <file>",
      "public training set (ShareGPT JSONL for lm-lora, CSV with a header otherwise)",
    )
    .option(
      "--validation-set <file>",
      "hidden validation set (ShareGPT JSONL, or CSV with the training set's columns); only its sha256 is public",
    )
    .option("--train <file>", "same as --training-set")
    .option("--validation <file>", "same as --validation-set")
    .option(
      "--hidden <widths>",
      "classifier/regressor without --base-model: build a fresh MLP with these hidden layer widths (e.g. 32 or 64,32) from the training CSV's header",
    )
    .option("--label <column>", "the label column of a fresh MLP (default: the training CSV's last column)")
    .option(
      "--classes <n>",
      "classes of a fresh classifier (default: the largest label in the sets plus one)",
    )
    .option("--seed <n>", "seed of a fresh MLP's initial weights", "1")
    .option("--context-length <n>", "tokens per conversation (lm-lora and lm-full)", "96")
    .option(
      "--max-params <n>",
      "maximum trainable parameters of a submission (lm-lora; lm-full and tabular tasks train every weight of their base model)",
      "1000000",
    )
    .option("--deadline <minutes>", "minutes until the submission deadline", "10")
    .option("--duration <minutes>", "minutes of validation after the deadline", "10")
    .option(
      "--weight <amount>",
      "emission weight asked for: the task's share of the Arena emission, a whole number up to 1000000, paid once an operator approves it (default 1, or 0 with --pool)",
    )
    .option(
      "--pool <FLOCK>",
      "fund the task's own reward pool with this much FLOCK from your wallet, then open it (anyone may; no approval needed)",
    )
    .option("--min-stake <FLOCK>", "minimum stake to take part (at least the network's floor)", "100")
    .option("--min-lock-days <days>", "minimum lock duration to take part", "0")
    .addOption(account())
    .action(run(runTaskCreate));
  task
    .command("list")
    .description("list tasks")
    .option("--status <status>", "only tasks in this status (open, validating, finalized, closed)")
    .action(run(runTaskList));
  task.command("show <id>").description("one task and its submissions").action(run(runTaskShow));
  task
    .command("fund <id>")
    .description("fund a task's reward pool from your wallet (RewardDistributor.fundTask)")
    .option("--amount <FLOCK>", "how much (default: what the pool still misses)")
    .addOption(account())
    .action(run(runTaskFund));
  task
    .command("open <id>")
    .description("open your draft task once its pool is funded or its emission weight approved")
    .addOption(account())
    .action(run(runTaskOpen));
  task
    .command("approve <id>")
    .description("approve a task's emission weight (operators only: TaskStaking's OPERATOR_ROLE)")
    .requiredOption("--weight <n>", "the emission weight approved, a whole number up to 1000000")
    .addOption(account())
    .action(run(runTaskApprove));
  task
    .command("leaderboard <id>")
    .description("a task's submissions ranked by consensus BPC (and the base model's score, for its creator)")
    .action(run(runTaskLeaderboard));

  // The registry is read over HTTP only: no chain needed.
  const models = program
    .command("models")
    .description("the model registry: Arena winners and FL global models");
  models
    .command("list")
    .description("registered models (each name's latest version)")
    .option("--all", "every version")
    .option("--task <id>", "only models of this task")
    .action(local(runModelsList));
  models
    .command("show <id>")
    .description("one model version with its lineage (id, name or name@version)")
    .action(local(runModelsShow));
  models.command("card <id>").description("the model's Hugging Face model card").action(local(runModelsCard));
  models
    .command("download <id>")
    .description(
      "write the model's Hugging Face folder (card, config, safetensors), or --format onnx: model.onnx",
    )
    .option("--out <dir>", "the folder to write")
    .option(
      "--format <format>",
      "hf (the Hugging Face folder, default) or onnx (one self-contained .onnx file)",
    )
    .option(
      "--seq-len <n>",
      "with --format onnx: a decoder's fixed sequence length (default its context length)",
    )
    .action(local(runModelsDownload));

  program
    .command("epochs")
    .description("settled epochs: task, root transaction, report (audit one with `flock audit <epoch>`)")
    .action(run(runEpochs));
  program
    .command("whoami")
    .description("the account participant commands act as without --account")
    .addOption(account())
    .action(local(runWhoami));
  program
    .command("use <name>")
    .description("make a key of this home the default account of every participant command")
    .action(local(runUse));
  program
    .command("locks")
    .description("an account's gmFLOCK locks: the lock ids `flock stake --lock` takes")
    .addOption(account())
    .action(run(runLocks));

  program
    .command("lock <amount>")
    .description("lock FLOCK for gmFLOCK")
    .option("--days <days>", "lock duration in days (0–365)", "365")
    .addOption(account())
    .action(run(runLock));
  program
    .command("stake <task> <amount>")
    .description("stake gmFLOCK on a task")
    .requiredOption("--role <role>", "trainer or validator")
    .requiredOption("--lock <id>", "the lock backing the stake")
    .addOption(account())
    .action(run(runStake));
  program
    .command("delegate <participant> <amount>")
    .description("delegate gmFLOCK to a participant's pool")
    .addOption(account())
    .action(run(runDelegate));
  program
    .command("pool <sigma-bps>")
    .description(
      "open your delegation pool (or change σ): the share, in bps, of the delegation gain you keep",
    )
    .addOption(account())
    .action(run(runPool));
  program
    .command("claim")
    .description("claim every reward of the account that the coordinator has a proof for")
    .option("--epoch <n>", "only this epoch")
    .addOption(account())
    .action(run(runClaim));
  program
    .command("balance [account]")
    .description("FLOCK, gmFLOCK and ETH of an account (a key name or address)")
    .addOption(account())
    .action(run(runBalance));

  const credits = program
    .command("credits")
    .description("the prepaid FLOCK balance that pays for Moonbase API calls (UsageCredits)");
  credits
    .command("deposit <amount>")
    .description("move FLOCK from your wallet into your usage credit (or --for another account's)")
    .option("--for <account>", "fund this account's credit instead (a key name or address)")
    .addOption(account())
    .action(run(runCreditsDeposit));
  credits
    .command("withdraw")
    .description(
      "withdraw the requested credit once its delay has passed; --request <amount> asks first (0 cancels)",
    )
    .option("--request <amount>", "ask to withdraw this much after the contract's delay")
    .addOption(account())
    .action(run(runCreditsWithdraw));
  credits
    .command("balance [account]")
    .description(
      "an account's usage credit: deposited, withdrawn, charged, pending withdrawal, on-chain balance",
    )
    .addOption(account())
    .action(run(runCreditsBalance));

  const keys = program.command("keys").description("API keys for Moonbase's OpenAI-compatible API (/v1)");
  keys
    .command("create <name>")
    .description("create an API key (its secret is printed once)")
    .option("--models <names>", "only these models (comma-separated registry names); default: all")
    .option("--plan <plan>", "bill its calls to your subscription of this plan instead of your usage credit")
    .addOption(account())
    .action(local(runKeysCreate));
  keys.command("list").description("your API keys").addOption(account()).action(local(runKeysList));
  keys
    .command("revoke <id>")
    .description("revoke an API key: /v1 refuses it from now on")
    .addOption(account())
    .action(local(runKeysRevoke));
  keys
    .command("plans")
    .description("the subscription plans on offer and the token prices")
    .addOption(account())
    .action(local(runKeysPlans));
  keys
    .command("subscribe <plan>")
    .description(
      "subscribe to a plan: its fee is paid from your usage credit, keys with --plan <plan> bill its quota",
    )
    .addOption(account())
    .action(local(runKeysSubscribe));
  program
    .command("usage [keyId]")
    .description(
      "an API key's usage history (without one, all your keys'): every call with its tokens, cost and model",
    )
    .option("--csv", "CSV (RFC 4180, with a header row) instead of a table")
    .option("--out <file>", "with --csv: write to this file")
    .option("--from <time>", "from this time (ISO 8601)")
    .option("--to <time>", "before this time (ISO 8601)")
    .addOption(account())
    .action(local(runUsage));

  program
    .command("train")
    .description("run a trainer node: fine-tune, commit and upload for every open task it is staked on")
    .option("--recipe <name>", "training recipe: careful, balanced or bold", "balanced")
    .option("--steps <n>", "override the recipe's optimizer steps")
    .option("--once", "one pass over open tasks, then exit")
    .option("--poll <ms>", "milliseconds between passes", "2000")
    .addOption(account())
    .action(run(runTrain));
  program
    .command("validate")
    .description("run a validator node: evaluate assigned submissions on the hidden set and report")
    .option("--once", "one pass over open assignments, then exit")
    .option("--poll <ms>", "milliseconds between passes", "2000")
    .option("--max-artifact-bytes <n>", "largest artifact to download", String(256 * 1024 * 1024))
    .addOption(account())
    .action(run(runValidate));

  program
    .command("join <api-url>")
    .description("take part in a network another process or machine runs (reads its GET /network)")
    .option("--dev-keys", "also write the local chain's public dev keys (anvil, chain 31337, only)")
    .action(local(runJoin));

  program
    .command("audit <epoch>")
    .description("download an epoch's report, recompute it with the protocol and compare the hashes")
    .action(run(runAudit));

  const admin = program.command("admin").description("operate the coordinator: jobs stopped by an error");
  const jobs = admin
    .command("jobs")
    .description("the coordinator's jobs not done (failed ones by default, with the task they block)")
    .option("--status <status>", "failed, pending or running", "failed")
    .action(run(runAdminJobs));
  jobs
    .command("retry <id>")
    .description("run a failed job again now, once its cause is fixed (signed by an operator)")
    .option("--account <name>", "an account with the operator role (default: admin)")
    .action(run(runAdminJobRetry));

  const fl = program
    .command("fl")
    .description(
      "federated learning: tasks on the network (create, join with your private data, rounds) and a simulator",
    );
  fl.command("create")
    .description(
      "create a federated task: build its tabular base model from a CSV header (or give one), fund its pool, open it",
    )
    .requiredOption("--title <text>", "task title")
    .option("--description <text>", "what the federation should learn", "")
    .option("--model-type <type>", "classifier, regressor or lm-lora", "classifier")
    .option(
      "--base-model <file|id>",
      "the initial global model: a file, or the content id of a published one",
    )
    .option("--schema <file.csv>", "build the base model from this CSV (header: features, then the label)")
    .option("--label <column>", "with --schema: the label column (default: the last)")
    .option(
      "--hidden <sizes>",
      "with --schema: hidden layer widths, comma-separated (none: no hidden layer)",
      "32",
    )
    .option("--classes <n>", "with --schema: classes of a classifier (default: largest label + 1)")
    .option("--seed <n>", "with --schema: seed of the initial weights", "0")
    .option("--rounds <n>", "rounds to accept", "5")
    .option("--round-seconds <s>", "seconds per round", "120")
    .option("--min-participants <n>", "participants needed at the join deadline", "3")
    .option("--max-participants <n>", "most participants", "100")
    .option("--join-minutes <m>", "minutes until the join deadline (the first round starts then)", "10")
    .option(
      "--weight <n>",
      "emission weight asked for, up to 1000000, paid once an operator approves it (default 1, or 0 with --pool)",
    )
    .option(
      "--pool <FLOCK>",
      "fund the task's reward pool with this much FLOCK from your wallet, then open it",
    )
    .option("--min-stake <FLOCK>", "minimum stake of a participant", "100")
    .option("--min-lock-days <days>", "minimum lock duration of a participant's stake", "0")
    .option(
      "--strategy <name>",
      `aggregation: ${Object.keys(STRATEGIES).join(", ")}; options as name:key=value (e.g. fedprox:proximalMu=0.1)`,
      "fedavg",
    )
    .option(
      "--privacy <mode>",
      "plain, secagg (secure aggregation) or secagg+dp (and differential privacy)",
      "plain",
    )
    .option("--target-epsilon <ε>", "with secagg+dp: the privacy budget of the whole task")
    .option("--delta <δ>", "with secagg+dp: δ of the budget")
    .option("--clip-norm <C>", "with secagg+dp: L2 norm each update is clipped to")
    .option("--pay-rule <rule>", "stake (pro-rata stake) or contribution (by each proposer's value)", "stake")
    .option("--proposer-fraction-bps <bps>", "share of each round's participants that train (default 5000)")
    .option("--lr <rate>", "local learning rate sent with every training message")
    .option("--local-epochs <n>", "local epochs per round")
    .option("--batch-size <n>", "local minibatch size")
    .option("--proximal-mu <μ>", "FedProx's proximal term in local training")
    .option("--lora-rank <r>", "lm-lora: the adapter's rank (default 8)")
    .option("--lora-alpha <α>", "lm-lora: the adapter's scale α (default 2·rank)")
    .option("--lora-dropout <p>", "lm-lora: dropout on the adapter's input (default 0)")
    .option(
      "--target-modules <list>",
      "lm-lora: projections the adapter attaches to, comma-separated (default q_proj,v_proj)",
    )
    .option("--local-steps <n>", "lm-lora: optimizer steps per round (default: --local-epochs passes)")
    .option("--seq-len <n>", "lm-lora: tokens per training row (default: the model's positions, at most 128)")
    .option(
      "--adapter <id>",
      "lm-lora: start from this published adapter instead of a fresh one (seeded by --seed)",
    )
    .addOption(account())
    .action(run(runFlCreate));
  fl.command("list").description("federated tasks").action(run(runFlList));
  fl.command("show <task>").description("one federated task and its participants").action(run(runFlShow));
  fl.command("rounds <task>")
    .description("a federated task's rounds: status, proposers, votes, tally, accepted, rewards")
    .action(run(runFlRounds));
  fl.command("join <task>")
    .description(
      "take part with private files (CSV for classifier and regressor tasks, ShareGPT JSONL for lm-lora): stake if needed, join, then train and vote each round until the task ends (Ctrl-C stops)",
    )
    .requiredOption(
      "--train <file>",
      "your private training data: CSV rows (the task's feature and label columns) or ShareGPT JSONL conversations",
    )
    .requiredOption(
      "--test <file>",
      "your private test data (same format): what you evaluate candidates and vote with",
    )
    .option("--coordinator <url>", "the coordinator's API URL (default: the home's network's)")
    .option("--stake <gmFLOCK>", "stake this much (default: the task's minimum stake)")
    .option(
      "--lock-days <days>",
      "days to lock FLOCK for when a new lock is needed (default: the task's minimum)",
    )
    .option("--seed <n>", "seed of the local minibatch order", "0")
    .addOption(account())
    .action(run(runFlJoin));
  fl.command("shards")
    .description(
      "write private train/test files for N parties: digits or breast-cancer split like hospitals, glucose by patient (CSV), or instruction conversations (ShareGPT JSONL, for lm-lora)",
    )
    .requiredOption("--dataset <name>", "digits, breast-cancer, glucose or instructions")
    .requiredOption("--parts <n>", "parties (2–50)")
    .requiredOption("--out <dir>", "folder to write party-1/train.csv, party-1/test.csv, …")
    .option("--seed <n>", "seed of the split (and of the glucose series)", "0")
    .action(local(runFlShards));
  fl.command("simulate")
    .description(
      "run a federation in this process on a shipped dataset: strategies side by side, non-IID clients, dropouts, stragglers, attackers, DP, contribution value",
    )
    .option("--dataset <name>", "shipped dataset: digits or breast-cancer", FL.dataset)
    .option(
      "--hidden <sizes>",
      "hidden layer widths of the MLP, comma-separated (none: softmax regression)",
      FL.hidden,
    )
    .option("--clients <n>", "population size (up to 100,000; data derived lazily from the seed)", FL.clients)
    .option("--clients-per-round <n>", "clients sampled each round (default: 10, or every client when fewer)")
    .option("--rounds <n>", "federated rounds", FL.rounds)
    .option(
      "--strategies <list>",
      `comma-separated, run side by side: ${Object.keys(STRATEGIES).join(", ")}; options as name:key=value (e.g. fedtrimmedavg:beta=0.1)`,
      FL.strategies,
    )
    .option(
      "--partition <kind>",
      "labels per client: dirichlet:α, shards:n (shards per client) or iid",
      FL.partition,
    )
    .option(
      "--quantity-skew <kind>",
      "examples per client: equal, lognormal:σ or powerlaw:exponent",
      FL.quantitySkew,
    )
    .option(
      "--examples-per-client <n>",
      "mean examples per client (default: the training rows shared out, at least 10)",
    )
    .option("--epochs <n>", "local epochs per round", FL.epochs)
    .option("--batch-size <n>", "local minibatch size", FL.batchSize)
    .option("--lr <rate>", "local SGD learning rate", FL.lr)
    .option("--momentum <m>", "local SGD momentum (default 0)")
    .option(
      "--proximal-mu <μ>",
      "FedProx proximal term μ in local training (default 0; fedprox:proximalMu=μ also sets it)",
    )
    .option("--dropout <p>", "chance a sampled client drops out of a round", FL.dropout)
    .option(
      "--deadline <ms>",
      "round deadline in simulated ms; slower clients are stragglers (default: no deadline)",
    )
    .option(
      "--ms-per-example <ms>",
      "with --deadline: simulated ms per example-epoch of a median device",
      FL.msPerExample,
    )
    .option("--device-sigma <σ>", "with --deadline: spread of device speeds (lognormal σ)", FL.deviceSigma)
    .option(
      "--jitter-sigma <σ>",
      "with --deadline: spread of a device's speed from round to round (lognormal σ)",
      FL.jitterSigma,
    )
    .option("--byzantine <fraction>", "fraction of the population that attacks", FL.byzantine)
    .option(
      "--attack <kind>",
      `with --byzantine: ${ATTACKS.join(", ")} (alie: "a little is enough")`,
      FL.attack,
    )
    .option(
      "--attack-strength <x>",
      "the attack's parameter: sign-flip / scaling factor (default 4 / 10), gaussian σ (default 1), alie z (default: Baruch et al.'s for each round)",
    )
    .option(
      "--dp <mode>",
      `central differential privacy (Flower's wrappers, clipping on the server or the nodes): off, ${DP_MODES.join(", ")}`,
      FL.dp,
    )
    .option("--noise-multiplier <z>", "with --dp: Gaussian noise multiplier", FL.noiseMultiplier)
    .option(
      "--clipping-norm <C>",
      "with --dp: clipping norm of each update (the first one when adaptive)",
      FL.clippingNorm,
    )
    .option("--delta <δ>", "with --dp: δ at which ε is reported", FL.delta)
    .option(
      "--seeded-noise",
      "with --dp: draw the noise from --seed, reproducible but not private (default: off, CSPRNG noise)",
    )
    .option("--secagg", "SecAgg+ secure aggregation around every strategy, linear ones only (default: off)")
    .option(
      "--secagg-dropout <fraction>",
      "with --secagg: dropout fraction the protocol survives (default: ⅓; lower: sparser graph)",
    )
    .option(
      "--contribution <method>",
      `per-round contribution value: off, ${CONTRIBUTION_METHODS.join(", ")}`,
      FL.contribution,
    )
    .option("--contribution-top <n>", "best and worst contributors to show", FL.contributionTop)
    .option(
      "--centralized [epochs]",
      "also train the same model centrally on all training rows, for comparison (default: off; epochs default 20)",
    )
    .option("--target-accuracy <a>", "report the first round reaching this test accuracy", FL.targetAccuracy)
    .option("--seed <n>", "same seed and options, same result", FL.seed)
    .option("--workers <n>", `training threads (0: in this thread)`, String(availableParallelism()))
    .option("--report <file>", "also write a self-contained HTML report with charts")
    .action(local(runFlSimulate));

  return program;
}
