/**
 * Regenerates the configuration reference from the profile schema:
 * docs/configuration.md entirely, and README.md only between its config-reference markers.
 * Run: node scripts/gen-config-reference.ts (a test fails while either file is out of date).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../src/config/atomic-write.ts';
import {
  renderConfigurationDoc,
  renderReadmeReference,
  withReadmeReference,
} from '../src/config/configuration-doc.ts';

const root = path.resolve(import.meta.dirname, '..');

await writeFileAtomic(path.join(root, 'docs/configuration.md'), renderConfigurationDoc());

// Others edit the README too: read it right before writing and touch only the marked region.
const readmePath = path.join(root, 'README.md');
const readme = await readFile(readmePath, 'utf8');
const updated = withReadmeReference(readme, renderReadmeReference());
if (updated !== readme) await writeFileAtomic(readmePath, updated);

process.stdout.write('wrote docs/configuration.md and the configuration reference in README.md\n');
