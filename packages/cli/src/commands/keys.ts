import { writeFileSync } from "node:fs";
import { formatFlock } from "@flock/core";
import { createFlockClient } from "@flock/sdk";
import { privateKeyToAccount } from "viem/accounts";
import type { CommandContext } from "../context.ts";
import { keyFor, resolveAccount } from "../keys.ts";
import { readNetworkInfo } from "../network/networkFile.ts";
import { table } from "../output.ts";

/** The coordinator's API signed by `--account` (API keys need no chain: only the signature). */
function signedApi(ctx: CommandContext, account: string | undefined) {
  const network = readNetworkInfo(ctx.home);
  const name = resolveAccount(ctx.home, account);
  return {
    name,
    api: createFlockClient({
      baseUrl: network.apiUrl,
      account: privateKeyToAccount(keyFor(ctx.home, name)),
      chainId: network.chainId,
    }),
    apiUrl: network.apiUrl,
  };
}

/**
 * `flock keys create <name> [--models a,b] [--plan p]`: an API key for Moonbase's OpenAI-compatible API. The
 * secret is printed once; the coordinator keeps only its sha256.
 */
export async function runKeysCreate(
  ctx: CommandContext,
  name: string,
  options: { models?: string; plan?: string; account?: string },
) {
  const { api, apiUrl } = signedApi(ctx, options.account);
  const models = options.models
    ?.split(",")
    .map((m) => m.trim())
    .filter((m) => m !== "");
  const created = await api.keys.create({
    name,
    ...(models === undefined || models.length === 0 ? {} : { models }),
    ...(options.plan === undefined ? {} : { plan: options.plan }),
  });
  ctx.output.result(created, () => [
    `API key ${created.key.id} "${created.key.name}" — ${created.key.models === null ? "every model" : created.key.models.join(", ")}, ${created.key.plan === null ? "paid from your usage credit" : `billed to plan ${created.key.plan}`}`,
    `secret (shown once, keep it safe): ${created.secret}`,
    `use it: new OpenAI({ baseURL: "${apiUrl}/v1", apiKey: "<secret>" })`,
  ]);
}

/** `flock keys list`: the account's API keys (prefix, scope, plan, revoked or not). */
export async function runKeysList(ctx: CommandContext, options: { account?: string }) {
  const { api } = signedApi(ctx, options.account);
  const keys = await api.keys.list();
  ctx.output.result(keys, () =>
    keys.length === 0
      ? "no API keys yet: flock keys create <name>"
      : table(
          ["id", "name", "prefix", "models", "plan", "created", "revoked"],
          keys.map((k) => [
            String(k.id),
            k.name,
            `${k.prefix}…`,
            k.models === null ? "all" : k.models.join(","),
            k.plan ?? "-",
            k.createdAt,
            k.revokedAt ?? "-",
          ]),
        ),
  );
}

/** `flock keys revoke <id>`: the key is refused (401) from now on. */
export async function runKeysRevoke(ctx: CommandContext, id: string, options: { account?: string }) {
  const { api } = signedApi(ctx, options.account);
  const revoked = await api.keys.revoke(Number(id));
  ctx.output.result(revoked, () => `revoked API key ${revoked.id} "${revoked.name}" at ${revoked.revokedAt}`);
}

/**
 * `flock usage [key id] [--csv] [--out file] [--from t] [--to t]`: every call the key (or, without one, each of the
 * account's keys) made with its tokens, cost and model; CSV (RFC 4180, header row) to stdout or a file.
 */
export async function runUsage(
  ctx: CommandContext,
  id: string | undefined,
  options: { csv?: boolean; out?: string; from?: string; to?: string; account?: string },
) {
  const { api } = signedApi(ctx, options.account);
  const range = {
    ...(options.from === undefined ? {} : { from: new Date(options.from) }),
    ...(options.to === undefined ? {} : { to: new Date(options.to) }),
  };
  const keyIds = id === undefined ? (await api.keys.list()).map((k) => k.id) : [Number(id)];
  if (options.csv === true) {
    // One header row, then every key's rows in key order.
    const parts = await Promise.all(keyIds.map((k) => api.usage.csv(k, range)));
    const header = parts[0]?.split("\r\n")[0] ?? USAGE_CSV_HEADER;
    const rows = parts.flatMap((part) => part.split("\r\n").slice(1, -1));
    const csv = `${[header, ...rows].join("\r\n")}\r\n`;
    if (options.out !== undefined) {
      writeFileSync(options.out, csv);
      ctx.output.note(`wrote ${rows.length} usage records to ${options.out}`);
    } else ctx.output.io.stdout.write(csv);
    return;
  }
  const histories = await Promise.all(keyIds.map((k) => api.usage.get(k, range)));
  const items = histories.flatMap((h) => h.items).sort((a, b) => a.id - b.id);
  const totals = {
    requests: items.length,
    promptTokens: items.reduce((sum, r) => sum + r.promptTokens, 0),
    completionTokens: items.reduce((sum, r) => sum + r.completionTokens, 0),
    cost: items.reduce((sum, r) => sum + r.cost, 0n),
  };
  ctx.output.result(id === undefined ? { items, totals } : histories[0], () => [
    table(
      ["time", "key", "model", "billing", "prompt", "completion", "cost (FLOCK)"],
      items.map((r) => [
        r.createdAt,
        String(r.keyId ?? "-"),
        r.model ?? "(subscription)",
        r.billing,
        String(r.promptTokens),
        String(r.completionTokens),
        formatFlock(r.cost),
      ]),
    ),
    `${totals.requests} calls, ${totals.promptTokens} prompt + ${totals.completionTokens} completion tokens, ${formatFlock(totals.cost)} FLOCK`,
  ]);
}

const USAGE_CSV_HEADER =
  "id,created_at,key_id,account,model,billing,prompt_tokens,completion_tokens,cost,epoch";

/** `flock keys plans`: the plans on offer and the token prices (public). */
export async function runKeysPlans(ctx: CommandContext, options: { account?: string }) {
  const { api } = signedApi(ctx, options.account);
  const [plans, prices] = await Promise.all([api.plans.list(), api.prices.list()]);
  ctx.output.result({ plans, prices }, () => [
    plans.length === 0
      ? "no plans on offer"
      : table(
          ["plan", "fee (FLOCK)", "period", "token quota", "requests/min"],
          plans.map((p) => [
            p.name,
            formatFlock(p.fee),
            `${p.periodSeconds} s`,
            String(p.tokenQuota),
            String(p.requestsPerMinute),
          ]),
        ),
    table(
      ["model", "prompt / 1k tokens", "completion / 1k tokens"],
      [
        ...prices.items.map((p) => [p.model, formatFlock(p.promptPer1k), formatFlock(p.completionPer1k)]),
        ["(any other)", formatFlock(prices.default.promptPer1k), formatFlock(prices.default.completionPer1k)],
      ],
    ),
  ]);
}

/** `flock keys subscribe <plan>`: pay the plan's fee from the usage credit; keys with that plan then bill its quota. */
export async function runKeysSubscribe(ctx: CommandContext, plan: string, options: { account?: string }) {
  const { api } = signedApi(ctx, options.account);
  const subscription = await api.plans.subscribe(plan);
  ctx.output.result(subscription, () => [
    `subscribed to ${subscription.plan} until ${subscription.endsAt}: ${subscription.tokenQuota} tokens, ${subscription.requestsPerMinute} requests/min, paid ${formatFlock(subscription.fee)} FLOCK`,
    `keys created with --plan ${subscription.plan} now bill this subscription`,
  ]);
}
