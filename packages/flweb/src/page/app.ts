import { FlockError, ValidationError } from "@flock/core";
import { readTabularModel } from "@flock/engine/io";
import {
  type FlParticipantState,
  FlParticipantStateStore,
  type FlProgress,
  runFlParticipant,
  type TabularFlApp,
  tabularFlApp,
} from "@flock/node/fl-participant";
import { createFlockClient } from "@flock/sdk";
import * as ort from "onnxruntime-web/wasm";
import { type Address, getTypesForEIP712Domain, type LocalAccount, serializeTypedData } from "viem";
import { mnemonicToAccount, privateKeyToAccount, toAccount } from "viem/accounts";

/** The local network's public development mnemonic (anvil's accounts): only for a local network. */
const DEV_MNEMONIC = "test test test test test test test test test test test junk";
const DEV_ACCOUNTS = 10;

/** What the page exposes for scripts and tests: its status, the account and every progress event. */
export interface FlWebState {
  status: "idle" | "joining" | "running" | "finished" | "stopped" | "failed";
  account?: string;
  taskId?: number;
  events: FlProgress[];
  error?: { code: string; message: string; hint?: string };
}

/**
 * The few DOM pieces the page uses, typed here: the repository typechecks every package with Node's types
 * only (the DOM library's fetch and stream types differ from Node's).
 */
interface PageElement {
  value: string;
  hidden: boolean;
  disabled: boolean;
  textContent: string | null;
  dataset: Record<string, string | undefined>;
  files: ArrayLike<File> | null;
  tBodies: ArrayLike<{ insertRow(): { insertCell(): PageElement } }>;
  addEventListener(type: string, listener: (event: { preventDefault(): void }) => void): void;
  append(...children: PageElement[]): void;
}
/** An EIP-1193 provider (a wallet extension's `window.ethereum`). */
interface Eip1193Provider {
  request(args: { method: string; params?: unknown[] }): Promise<unknown>;
}
const page = globalThis as unknown as {
  document: { getElementById(id: string): PageElement | null; createElement(tag: string): PageElement };
  location: { origin: string; search: string };
  localStorage: { getItem(key: string): string | null; setItem(key: string, value: string): void };
  ethereum?: Eip1193Provider;
  __flock: FlWebState;
};

const state: FlWebState = { status: "idle", events: [] };
page.__flock = state;

// The WASM files sit next to app.js; one thread (the page is not cross-origin isolated).
ort.env.wasm.wasmPaths = new URL("./", import.meta.url).href;
ort.env.wasm.numThreads = 1;

function $(id: string): PageElement {
  const element = page.document.getElementById(id);
  if (element === null) throw new Error(`the page has no #${id}`);
  return element;
}
const form = $("join");
const taskInput = $("task");
const taskInfo = $("task-info");
const keySource = $("key-source");
const privateKeyField = $("private-key-field");
const privateKeyInput = $("private-key");
const trainFile = $("train-file");
const testFile = $("test-file");
const joinButton = $("join-button");
const stopButton = $("stop-button");
const statusOut = $("status");
const progressTable = $("progress");

const baseUrl = page.location.origin;

function option(value: string, label: string) {
  const o = page.document.createElement("option");
  o.value = value;
  o.textContent = label;
  return o;
}
for (let i = 0; i < DEV_ACCOUNTS; i++) keySource.append(option(`dev-${i}`, `Dev account ${i}`));
keySource.append(option("private-key", "A private key I type"));
keySource.append(option("wallet", "Injected wallet (window.ethereum)"));
keySource.addEventListener("change", () => {
  privateKeyField.hidden = keySource.value !== "private-key";
});

const params = new URLSearchParams(page.location.search);
if (params.get("task") !== null) taskInput.value = params.get("task")!;

function setStatus(status: FlWebState["status"], text: string) {
  state.status = status;
  statusOut.dataset.status = status;
  statusOut.textContent = text;
}

function fail(error: unknown) {
  const e =
    error instanceof FlockError
      ? {
          code: error.code,
          message: error.message,
          ...(error.hint === undefined ? {} : { hint: error.hint }),
        }
      : { code: "FL_WEB_FAILED", message: error instanceof Error ? error.message : String(error) };
  state.error = e;
  setStatus("failed", `${e.code}: ${e.message}${e.hint === undefined ? "" : ` (${e.hint})`}`);
}

function formatMetrics(metrics: Record<string, number>): string {
  return Object.entries(metrics)
    .filter(([, v]) => typeof v === "number")
    .slice(0, 4)
    .map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(4)}`)
    .join(", ");
}

function addRow(cells: string[]) {
  progressTable.hidden = false;
  const row = progressTable.tBodies[0]!.insertRow();
  for (const cell of cells) row.insertCell().textContent = cell;
}

function onProgress(p: FlProgress) {
  state.events.push(p);
  switch (p.type) {
    case "joined":
      setStatus("running", `Joined task ${p.taskId} as ${p.account}; waiting for the next round…`);
      break;
    case "answered": {
      const vote = p.vote === undefined ? "" : `vote ${p.vote > 0 ? "+1" : "−1"}; `;
      addRow([String(p.round), p.role, p.stage, `${vote}${formatMetrics(p.metrics)}`]);
      setStatus("running", `Round ${p.round}: answered ${p.stage} as ${p.role}`);
      break;
    }
    case "failed":
      addRow([String(p.round), p.role, p.stage, `${p.error.code}: ${p.error.message}`]);
      break;
    case "waiting":
      setStatus(
        "running",
        `Task ${p.taskId} is ${p.taskStatus}, round ${p.currentRound}; waiting for messages…`,
      );
      break;
    case "retrying":
      setStatus("running", `The coordinator is unreachable (${p.error.code}); retrying in ${p.delayMs} ms`);
      break;
    case "stopped":
      break;
  }
}

/** The account the page signs with: a dev key, a typed key, or the injected EIP-1193 wallet. */
async function accountOf(source: string): Promise<LocalAccount> {
  if (source.startsWith("dev-"))
    return mnemonicToAccount(DEV_MNEMONIC, { addressIndex: Number(source.slice(4)) });
  if (source === "private-key") {
    const key = privateKeyInput.value.trim();
    if (!/^0x[0-9a-fA-F]{64}$/.test(key)) {
      throw new ValidationError("FL_WEB_KEY_MALFORMED", "the private key is not 0x and 64 hex digits", {
        hint: "paste the key of the account that staked for this task",
      });
    }
    return privateKeyToAccount(key as `0x${string}`);
  }
  return injectedWalletAccount();
}

/** A viem account whose typed-data signatures come from `window.ethereum` (eth_signTypedData_v4). */
async function injectedWalletAccount(): Promise<LocalAccount> {
  const provider = page.ethereum;
  if (provider === undefined) {
    throw new ValidationError("FL_WEB_NO_WALLET", "this browser has no injected wallet (window.ethereum)", {
      hint: "install or unlock an EIP-1193 wallet, or sign with a dev key",
    });
  }
  const accounts = (await provider.request({ method: "eth_requestAccounts" })) as string[];
  const address = accounts[0] as Address | undefined;
  if (address === undefined) {
    throw new ValidationError("FL_WEB_NO_WALLET", "the wallet shared no account", {
      hint: "allow this page to see an account in the wallet",
    });
  }
  const unsupported = async () => {
    throw new FlockError("FL_WEB_UNSUPPORTED", "the page signs requests only (typed data)");
  };
  return toAccount({
    address,
    signMessage: unsupported,
    signTransaction: unsupported,
    async signTypedData(typedData) {
      const { domain, message, primaryType, types } = typedData as Parameters<typeof serializeTypedData>[0];
      const json = serializeTypedData({
        domain,
        message,
        primaryType,
        types: { EIP712Domain: getTypesForEIP712Domain({ domain }), ...types },
      } as Parameters<typeof serializeTypedData>[0]);
      return (await provider.request({
        method: "eth_signTypedData_v4",
        params: [address, json],
      })) as `0x${string}`;
    },
  });
}

/** The text of a picked file, read in the page (the file is never uploaded). */
async function readFile(input: PageElement, what: string): Promise<string> {
  const file = input.files?.[0];
  if (file === undefined) {
    throw new ValidationError("FL_WEB_FILE_MISSING", `pick your ${what} CSV`, {
      hint: "the file is read in this page and never uploaded",
    });
  }
  try {
    return await file.text();
  } catch (cause) {
    throw new ValidationError("FL_WEB_FILE_UNREADABLE", `${file.name} cannot be read`, {
      hint: "pick the file again (it may have been moved or changed)",
      cause,
    });
  }
}

/** The participant's state in the page's localStorage: a reload resumes without answering a message twice. */
function localStorageState(key: string) {
  return {
    path: `localStorage[${key}]`,
    read: async (initial: () => FlParticipantState) => {
      const text = page.localStorage.getItem(key);
      return text === null ? initial() : (JSON.parse(text) as FlParticipantState);
    },
    write: async (value: FlParticipantState) => {
      page.localStorage.setItem(key, JSON.stringify(value));
    },
  };
}

let controller: AbortController | undefined;
stopButton.addEventListener("click", () => controller?.abort());

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (state.status === "joining" || state.status === "running") return;
  joinButton.disabled = true;
  setStatus("joining", "Reading your files and the task's model…");
  state.error = undefined;
  let app: TabularFlApp | undefined;
  try {
    const taskId = Number(taskInput.value);
    if (!Number.isSafeInteger(taskId) || taskId < 1) {
      throw new ValidationError("FL_WEB_TASK_INVALID", "the task id is a whole number ≥ 1", {
        hint: "the coordinator lists federated tasks at /fl/tasks",
      });
    }
    const [trainCsv, testCsv] = await Promise.all([
      readFile(trainFile, "training"),
      readFile(testFile, "test"),
    ]);
    const account = await accountOf(keySource.value);
    const address = account.address.toLowerCase();
    state.account = address;
    state.taskId = taskId;
    const client = createFlockClient({ baseUrl, account });
    const task = await client.fl.get(taskId);
    if (task.modelType !== "classifier" && task.modelType !== "regressor") {
      throw new ValidationError("FL_MODEL_TYPE_UNSUPPORTED", `task ${taskId} is a ${task.modelType} task`, {
        hint: "the browser client takes part in classifier and regressor tasks over CSV files",
      });
    }
    const { spec } = readTabularModel(await client.artifacts.download(task.baseModel));
    app = tabularFlApp({ trainCsv, testCsv, spec, seed: Number.parseInt(address.slice(2, 10), 16) });
    taskInfo.textContent = `“${task.title}”: ${task.rounds} rounds, ${task.privacy.mode}; you hold ${app.trainRows} training and ${app.testRows} test rows.`;
    controller = new AbortController();
    stopButton.hidden = false;
    setStatus("joining", `Joining task ${taskId} as ${address}…`);
    const result = await runFlParticipant({
      client,
      account: address,
      taskId,
      app,
      state: new FlParticipantStateStore(
        localStorageState(`flock-fl:${baseUrl}:${taskId}:${address}`),
        taskId,
        address,
      ),
      onProgress,
      signal: controller.signal,
      waitMs: 10_000,
    });
    if (result.taskStatus === "aborted") setStatus("stopped", `Stopped after ${result.answered} message(s).`);
    else
      setStatus(
        "finished",
        `Task ${taskId} is ${result.taskStatus}: answered ${result.answered} message(s).`,
      );
  } catch (error) {
    fail(error);
  } finally {
    await app?.release().catch(() => {});
    stopButton.hidden = true;
    joinButton.disabled = false;
  }
});
