#!/usr/bin/env node
// The sources are TypeScript run by Node's built-in type stripping (Node >= 22.18): no build step.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(
    `cti-bridge needs Node.js >= 22.18 (this is ${process.version}); see README "Requirements".\n`,
  );
  process.exit(1);
}
const { main } = await import('../src/cli/main.ts');
const code = await main(process.argv.slice(2), process.env);
if (code !== undefined) process.exitCode = code;
