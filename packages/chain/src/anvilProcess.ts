import { type ChildProcess, spawn } from "node:child_process";
import { ChainError } from "@flock/core";
import { anvilBinaryPath } from "./anvilBinary.ts";

/** Options of one anvil process. */
export interface SpawnAnvilOptions {
  /** File anvil loads its state from at start (if it exists) and dumps to at exit and every `stateInterval`. */
  statePath: string;
  /** Port; 0 (the default) lets the OS pick a free one. */
  port?: number;
  /** Address to listen on (default 127.0.0.1); 0.0.0.0 or :: serves other machines too. */
  host?: string;
  chainId: number;
  mnemonic: string;
  accounts: number;
  /** Seconds between periodic state dumps, so a crash loses at most this much. */
  stateInterval?: number;
  /** Milliseconds to wait for anvil to listen. */
  startTimeoutMs?: number;
}

/** A running anvil. `stop()` ends it with SIGTERM (anvil dumps its state on the way out) and waits. */
export interface AnvilProcess {
  rpcUrl: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

const LISTENING = /Listening on \S*:(\d+)/;
const ANVIL_PID = /flock-anvil-pid (\d+)/;

/**
 * `sh -c WATCHDOG name anvil args…`: start anvil and report its pid; a watcher stops anvil with SIGTERM when
 * stdin reaches end of file (the parent died or closed it), and so does a SIGTERM/SIGINT to the watchdog. The
 * watchdog waits for anvil and exits with its status, so it ends only after anvil has written its state (and at
 * once when anvil fails to start).
 */
const WATCHDOG = [
  "exec 3<&0",
  '"$@" </dev/null &',
  "anvil=$!",
  'echo "flock-anvil-pid $anvil" >&2',
  "trap 'kill -TERM \"$anvil\" 2>/dev/null' TERM INT",
  '( while read -r _; do :; done; kill -TERM "$anvil" 2>/dev/null ) <&3 &',
  "watcher=$!",
  'wait "$anvil"; status=$?',
  'while kill -0 "$anvil" 2>/dev/null; do wait "$anvil"; status=$?; done',
  'kill "$watcher" 2>/dev/null',
  'exit "$status"',
].join("\n");
const STOP_TIMEOUT_MS = 15_000;

/** Every anvil this process started and has not yet seen exit; killed if Node exits first. */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // SIGTERM (not SIGKILL) so anvil still writes its state file when the parent exits without stop().
  process.on("exit", () => {
    for (const child of running) child.kill("SIGTERM");
  });
}

/**
 * The URL this machine reaches a listener on `host` at: loopback for a wildcard address, else the address
 * itself (IPv6 in brackets).
 */
export function localUrlFor(host: string, port: number): string {
  if (host === "0.0.0.0") return `http://127.0.0.1:${port}`;
  if (host === "::" || host === "[::]") return `http://[::1]:${port}`;
  return host.includes(":") && !host.startsWith("[") ? `http://[${host}]:${port}` : `http://${host}:${port}`;
}

/** Starts anvil (on 127.0.0.1 unless told otherwise) and resolves once it prints its listening address. */
export async function spawnAnvil(options: SpawnAnvilOptions): Promise<AnvilProcess> {
  const host = options.host ?? "127.0.0.1";
  const args = [
    "--host",
    host,
    "--port",
    String(options.port ?? 0),
    "--state",
    options.statePath,
    "--state-interval",
    String(options.stateInterval ?? 30),
    "--chain-id",
    String(options.chainId),
    "--mnemonic",
    options.mnemonic,
    "--accounts",
    String(options.accounts),
  ];
  const binary = anvilBinaryPath();
  // On POSIX anvil runs under a small shell watchdog holding our end of a pipe on its stdin: when this process
  // dies, even by SIGKILL, the pipe closes and the watchdog stops anvil with SIGTERM (which writes its state
  // file), so no anvil outlives the process that started it.
  const child =
    process.platform === "win32"
      ? spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] })
      : spawn("/bin/sh", ["-c", WATCHDOG, "flock-anvil-watchdog", binary, ...args], {
          stdio: ["pipe", "pipe", "pipe"],
        });
  let anvilPid = process.platform === "win32" ? (child.pid ?? -1) : -1;
  installExitHook();
  running.add(child);
  const exited = new Promise<number | null>((resolve) => {
    child.once("exit", (code) => {
      running.delete(child);
      resolve(code);
    });
  });

  let output = "";
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      if (anvilPid > 0 && anvilPid !== child.pid) killQuietly(anvilPid, "SIGKILL");
      child.kill("SIGKILL");
      reject(
        new ChainError(
          "ANVIL_START_TIMEOUT",
          `anvil did not start listening within ${options.startTimeoutMs ?? 20_000} ms`,
          {
            hint: "Check that the machine is not overloaded and that the state file is readable.",
            details: { output: output.slice(-2000) },
          },
        ),
      );
    }, options.startTimeoutMs ?? 20_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString("utf8");
      const pid = ANVIL_PID.exec(output);
      if (pid?.[1] !== undefined) anvilPid = Number(pid[1]);
      const match = LISTENING.exec(output);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("error", (cause) => {
      clearTimeout(timer);
      reject(
        new ChainError("ANVIL_SPAWN_FAILED", "could not start anvil", { hint: "Run `npm install`.", cause }),
      );
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(
        new ChainError("ANVIL_EXITED", `anvil exited with code ${code} before it listened`, {
          hint: "Read the output in details: a port already in use or a corrupt state file are the usual causes.",
          details: { output: output.slice(-2000) },
        }),
      );
    });
  });
  // Past this point nobody reads its output: drop it so the pipes never fill up and block anvil.
  child.stdout?.removeAllListeners("data");
  child.stderr?.removeAllListeners("data");
  child.stdout?.resume();
  child.stderr?.resume();

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      child.stdin?.end();
      const timer = setTimeout(() => {
        if (anvilPid > 0 && anvilPid !== child.pid) killQuietly(anvilPid, "SIGKILL");
        child.kill("SIGKILL");
      }, STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    })();
    return stopping;
  };

  return { rpcUrl: localUrlFor(host, port), port, pid: anvilPid, stop };
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}
