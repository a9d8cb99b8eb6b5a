import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCallerNumber, searchDigits } from '../../src/calls/caller-number.ts';

const cases: Array<[string, string]> = [
  ['+4930123456', 'number +4930123456'],
  ['030123456', 'number +4930123456'],
  ['+49 (0)30 123456', 'number +4930123456'],
  ['0049 30 123456', 'number +4930123456'],
  ['+1 212-555-0100', 'number +12125550100'],
  ['+١٢١٢٥٥٥٠١٠٠', 'number +12125550100'],
  ['sip:+4930123456@pbx.example', 'number +4930123456'],
  ['anonymous', 'withheld'],
  ['Anonymous', 'withheld'],
  ['<unknown>', 'missing'],
  ['', 'missing'],
  ['   ', 'missing'],
  ['support', 'invalid'],
  ['phone:* OR role:admin', 'invalid'],
  ['"030123456"', 'invalid'],
  ['0301234 OR 1', 'invalid'],
  ['1234567890123456789012345678901234567890', 'invalid'],
  ['12', 'invalid'],
  ['sip:alice@pbx.example', 'invalid'],
  ['x'.repeat(10_000), 'invalid'],
];

for (const [raw, expected] of cases) {
  test(`caller id ${JSON.stringify(raw.slice(0, 40))} → ${expected}`, () => {
    const parsed = parseCallerNumber(raw, 'DE');
    assert.equal(parsed.kind === 'number' ? `number ${parsed.e164}` : parsed.kind, expected);
    if (parsed.kind === 'invalid') assert.ok(parsed.raw.length <= 65, 'odd input is clipped for logs');
  });
}

test('search digits drop the plus sign that Zendesk search cannot match', () => {
  assert.equal(searchDigits('+4930123456'), '4930123456');
});
