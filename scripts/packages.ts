/**
 * The package layers of ARCHITECTURE.md, in order. A package may import only packages listed before it,
 * and, stricter, only the ones named in its `allowed` list.
 */
export const LAYERS: ReadonlyArray<{ name: string; allowed: readonly string[] }> = [
  { name: "core", allowed: [] },
  { name: "protocol", allowed: ["core"] },
  { name: "engine", allowed: ["core"] },
  { name: "contracts", allowed: ["core", "protocol"] },
  { name: "chain", allowed: ["core", "protocol", "contracts"] },
  { name: "store", allowed: ["core"] },
  { name: "fl", allowed: ["core", "protocol", "engine"] },
  { name: "serving", allowed: ["core", "engine"] },
  { name: "server", allowed: ["core", "protocol", "engine", "fl", "serving", "store", "chain"] },
  { name: "sdk", allowed: ["core"] },
  { name: "node", allowed: ["core", "protocol", "engine", "fl", "chain", "sdk"] },
  { name: "flweb", allowed: ["core", "protocol", "engine", "fl", "chain", "sdk", "node"] },
  {
    name: "cli",
    allowed: [
      "core",
      "protocol",
      "engine",
      "contracts",
      "chain",
      "store",
      "fl",
      "serving",
      "server",
      "sdk",
      "node",
      "flweb",
    ],
  },
  { name: "dashboard", allowed: ["sdk"] },
];
