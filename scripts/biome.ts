import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * Runs Biome's binary for this platform. The `@biomejs/biome` wrapper is not used: its lock entries
 * list every platform's binary, and the npm registry reachable here serves only Linux ones, so
 * `npm ci` refused the lock. The Linux x64 binary is an optional dependency; elsewhere install
 * yours with `npm i --no-save @biomejs/cli-<platform>-<arch>@<same version>`.
 */
const require = createRequire(import.meta.url);
const pkg = `@biomejs/cli-${process.platform}-${process.arch}`;
let binary: string | undefined;
try {
  binary = path.join(path.dirname(require.resolve(`${pkg}/package.json`)), 'biome');
} catch {
  binary = undefined;
}
if (!binary || !existsSync(binary)) {
  const version = (require('../package.json') as { optionalDependencies: Record<string, string> })
    .optionalDependencies['@biomejs/cli-linux-x64'];
  process.stderr.write(
    `Biome for ${process.platform}-${process.arch} is not installed: npm i --no-save ${pkg}@${version}\n`,
  );
  process.exit(2);
}
const result = spawnSync(binary, process.argv.slice(2), { stdio: 'inherit' });
process.exit(result.status ?? 1);
