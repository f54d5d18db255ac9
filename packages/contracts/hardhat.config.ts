import { createRequire } from "node:module";
import hardhatViem from "@nomicfoundation/hardhat-viem";
import { defineConfig } from "hardhat/config";

const require = createRequire(import.meta.url);

/** The exact solc release this package pins; Hardhat runs the soljson.js of the `solc` npm package. */
export const SOLC_VERSION: string = require("solc/package.json").version;

/**
 * Hardhat 3 configuration. `path` points Hardhat at the local soljson.js, so it never downloads a
 * compiler (the build machines have no network); the EDR in-process network runs the tests.
 */
export default defineConfig({
  plugins: [hardhatViem],
  solidity: {
    version: SOLC_VERSION,
    path: require.resolve("solc/soljson.js"),
    settings: {
      optimizer: { enabled: true, runs: 200 },
      evmVersion: "cancun",
    },
  },
  paths: { sources: "./contracts" },
});
