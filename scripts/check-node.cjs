// Stops `npm start`, `npm test` and `npm install` at once on a Node.js older than the sources need (they run
// TypeScript directly through Node 22's type stripping), saying how to get Node 22. Plain ES5 CommonJS on
// purpose: it must run, and explain, on any Node.
var required = [22, 18];
var parts = process.versions.node.split(".");
var major = Number(parts[0]);
var minor = Number(parts[1]);
if (major > required[0] || (major === required[0] && minor >= required[1])) process.exit(0);

var prefix = "$HOME/.cache/flock-node22";
var lines = [
  "Flock needs Node.js " + required.join(".") + " or newer; this is " + process.version + " (" + process.execPath + ").",
  "Get Node 22 next to the system's Node with npm alone, then run the command again in the same shell:",
  "",
  "  npm install --prefix " + prefix + " --no-save node@22",
  "  export PATH=" + prefix + "/node_modules/node/bin:$PATH",
  "",
  "(or `nvm install 22`, or a Node 22 package from https://nodejs.org).",
];
process.stderr.write(lines.join("\n") + "\n");
process.exit(1);
