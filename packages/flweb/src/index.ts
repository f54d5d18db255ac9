/** The browser FL client: its build (esbuild) and the folder a coordinator serves at /fl/join/. */
export { type BuildFlWebOptions, buildFlWeb, FLWEB_DIST, flWebDirectory } from "./build.ts";
