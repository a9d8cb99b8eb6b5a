import { Composer, CST, isScalar, Parser } from 'yaml';
import { ConfigError } from './errors.ts';

/**
 * `text` with its top-level `active:` value set to `value`, every other byte unchanged.
 * The value is found through yaml's Document (keeping source tokens) and changed in the CST,
 * because re-serialising the Document would reflow long lines and respace flow mappings.
 */
export function withActiveFlag(text: string, value: boolean, file: string): string {
  const tokens = Array.from(new Parser().parse(text));
  const docs = Array.from(new Composer({ keepSourceTokens: true }).compose(tokens));
  const doc = docs[0];
  if (doc === undefined || docs.length > 1 || doc.errors.length > 0) {
    throw new ConfigError([
      `${file}: cannot change active: the file is not valid YAML; run \`cti-bridge config validate\``,
    ]);
  }
  const node = doc.get('active', true);
  if (node === undefined) {
    if (!value) return text;
    throw new ConfigError([`${file}: active: the key is missing; add the line \`active: false\` at the top`]);
  }
  if (!isScalar(node) || node.srcToken === undefined) {
    throw new ConfigError([`${file}: active: must be true or false; correct it by hand`]);
  }
  if (node.value === value) return text;
  CST.setScalarValue(node.srcToken, String(value), { type: 'PLAIN' });
  return tokens.map((token) => CST.stringify(token)).join('');
}
