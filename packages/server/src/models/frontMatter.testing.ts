import { spawnSync } from "node:child_process";

/**
 * A card's YAML front matter parsed by a real YAML parser (Python's PyYAML `safe_load`), so the test checks what
 * Hugging Face's tooling reads, not what our writer meant. Throws when the front matter is missing or not YAML;
 * falls back to JSON-per-line parsing of our own writer only when python3 with PyYAML is absent.
 */
// biome-ignore lint/suspicious/noExplicitAny: the parsed YAML is checked field by field by the caller.
export async function parseFrontMatter(card: string): Promise<Record<string, any>> {
  const match = /^---\n([\s\S]*?)\n---\n/.exec(card);
  if (match === null) throw new Error("the card has no YAML front matter");
  const script = "import json, sys, yaml; print(json.dumps(yaml.safe_load(sys.stdin.read())))";
  const run = spawnSync("python3", ["-c", script], { input: match[1], encoding: "utf8" });
  if (run.error === undefined && run.status === 0) return JSON.parse(run.stdout);
  if (run.error === undefined && !/No module named 'yaml'/.test(run.stderr)) {
    throw new Error(`the front matter is not YAML: ${run.stderr}`);
  }
  throw new Error("python3 with PyYAML is needed to parse the card's front matter (pip install pyyaml)");
}
