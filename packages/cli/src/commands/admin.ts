import { errorFromResponse, signRequest } from "@flock/sdk";
import { privateKeyToAccount } from "viem/accounts";
import type { CommandContext } from "../context.ts";
import { keyFor } from "../keys.ts";
import { readNetworkInfo } from "../network/networkFile.ts";
import { table } from "../output.ts";
import { parseInteger } from "./wallet.ts";

/** A job of the coordinator as `GET /admin/jobs` lists it. */
interface AdminJob {
  id: number;
  kind: string;
  status: string;
  taskId?: number;
  attempts: number;
  runAt: string;
  errorCode: string | null;
  lastError: string | null;
}

async function adminRequest<T>(
  ctx: CommandContext,
  method: "GET" | "POST",
  path: string,
  account?: string,
): Promise<T> {
  const network = readNetworkInfo(ctx.home);
  const headers: Record<string, string> = {};
  if (account !== undefined) {
    const health = (await (await fetch(`${network.apiUrl}/health`)).json()) as {
      chainId: number;
      requestVerifier: `0x${string}`;
    };
    Object.assign(
      headers,
      await signRequest({
        account: privateKeyToAccount(keyFor(ctx.home, account)),
        chainId: health.chainId,
        verifyingContract: health.requestVerifier,
        method,
        path,
      }),
    );
  }
  const response = await fetch(`${network.apiUrl}${path}`, { method, headers });
  const body = (await response.json()) as unknown;
  if (!response.ok) throw errorFromResponse(response.status, body, `${method} ${path}`);
  return body as T;
}

/** `flock admin jobs [--status S]`: the coordinator's jobs not done; failed ones by default (stopped for the operator). */
export async function runAdminJobs(ctx: CommandContext, options: { status?: string }) {
  const status = options.status ?? "failed";
  const { items } = await adminRequest<{ items: AdminJob[] }>(
    ctx,
    "GET",
    `/admin/jobs?status=${encodeURIComponent(status)}`,
  );
  ctx.output.result(items, () =>
    items.length === 0
      ? `no ${status} job`
      : [
          table(
            ["job", "kind", "task", "attempts", "due", "error"],
            items.map((j) => [
              String(j.id),
              j.kind,
              j.taskId === undefined ? "-" : String(j.taskId),
              String(j.attempts),
              j.runAt,
              j.errorCode === null ? (j.lastError ?? "-") : `${j.errorCode}: ${j.lastError ?? ""}`,
            ]),
          ),
          status === "failed" ? "fix the cause, then run one again with `flock admin jobs retry <id>`" : "",
        ],
  );
}

/** `flock admin jobs retry <id>`: run a failed job again now (signed by an operator; `admin` on a local network). */
export async function runAdminJobRetry(ctx: CommandContext, idText: string, options: { account?: string }) {
  const id = parseInteger(idText, "job");
  const job = await adminRequest<AdminJob>(
    ctx,
    "POST",
    `/admin/jobs/${id}/retry`,
    options.account ?? "admin",
  );
  ctx.output.result(job, () => [
    `job ${job.id} (${job.kind}${job.taskId === undefined ? "" : `, task ${job.taskId}`}) is due again now`,
  ]);
}
