import cliProgress from "cli-progress";
import type { CliIo } from "./io.ts";

/** A progress display for one long step (training, evaluation, upload). */
export interface Progress {
  update(done: number, detail?: string): void;
  finish(detail?: string): void;
}

/** One multi-bar per terminal: several nodes of one process draw their bars together. */
const terminals = new WeakMap<object, { bars: cliProgress.MultiBar; active: number }>();

/** Write a status line without tearing the bars drawn on the same terminal. */
export function printLine(io: CliIo, line: string): void {
  const terminal = terminals.get(io.stderr);
  if (terminal === undefined) io.stderr.write(`${line}\n`);
  else terminal.bars.log(`${line}\n`);
}

/**
 * A bar (cli-progress) when stderr is a terminal; otherwise plain lines at every quarter, so logs and CI
 * output stay readable.
 */
export function createProgress(io: CliIo, label: string, total: number, unit = ""): Progress {
  if (io.stderr.isTTY === true) {
    let terminal = terminals.get(io.stderr);
    if (terminal === undefined) {
      terminal = {
        bars: new cliProgress.MultiBar(
          {
            format: "{label} [{bar}] {value}/{total} {unit} {detail}",
            stream: io.stderr as NodeJS.WritableStream,
            hideCursor: true,
            clearOnComplete: false,
          },
          cliProgress.Presets.shades_classic,
        ),
        active: 0,
      };
      terminals.set(io.stderr, terminal);
    }
    const owner = terminal;
    const bar = owner.bars.create(total, 0, { label: label.padEnd(30), unit, detail: "" });
    owner.active++;
    return {
      update: (done, detail = "") => bar.update(done, { detail }),
      finish: (detail = "") => {
        owner.bars.remove(bar);
        owner.active--;
        owner.bars.log(
          `${label}: ${total}/${total}${unit === "" ? "" : ` ${unit}`}${detail === "" ? "" : ` ${detail}`}\n`,
        );
        if (owner.active === 0) {
          owner.bars.stop();
          terminals.delete(io.stderr);
        }
      },
    };
  }
  let lastQuarter = -1;
  return {
    update(done, detail = "") {
      const quarter = total === 0 ? 4 : Math.floor((4 * done) / total);
      if (quarter === lastQuarter || quarter >= 4) return;
      lastQuarter = quarter;
      io.stderr.write(
        `${label}: ${done}/${total}${unit === "" ? "" : ` ${unit}`}${detail === "" ? "" : ` ${detail}`}\n`,
      );
    },
    finish(detail = "") {
      io.stderr.write(`${label}: done${detail === "" ? "" : ` ${detail}`}\n`);
    },
  };
}
