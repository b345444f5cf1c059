import * as fc from 'fast-check';
import { readJsonText } from './json-text';

describe('readJsonText', () => {
  it('gives one canonical text for spacing, key order and number spellings', () => {
    const a = readJsonText('{"b": [1, 2.50, 1e2], "a": {"y": true, "x": null}}')!;
    const b = readJsonText('{"a":{"x":null,"y":true},"b":[1,2.5,100]}')!;
    expect(a.canonical).toBe(b.canonical);
    expect(a.canonical).toBe('{"a":{"x":null,"y":true},"b":[1,2.5,100]}');
  });

  it('keeps apart what differs in meaning', () => {
    expect(readJsonText('[1,2]')!.canonical).not.toBe(readJsonText('[2,1]')!.canonical);
    expect(readJsonText('{"a":"1"}')!.canonical).not.toBe(readJsonText('{"a":1}')!.canonical);
    expect(readJsonText('12345678901234567890')!.canonical).not.toBe(readJsonText('12345678901234567891')!.canonical);
  });

  it('spells strings one way: escapes as JSON.stringify writes them', () => {
    expect(readJsonText('"\\u00e9\\/"')!.canonical).toBe(readJsonText('"é/"')!.canonical);
  });

  it('finds a key written twice (jsonb keeps the last) and \\u0000 (jsonb refuses it)', () => {
    expect(readJsonText('{"a": 1, "b": {"c": 1, "c": 2}}')!.duplicateKey).toBe('c');
    expect(readJsonText('{"a": 1, "a": 2}')!.canonical).toBe('{"a":2}');
    expect(readJsonText('{"a": 1}')!.duplicateKey).toBeUndefined();
    expect(readJsonText('["\\u0000"]')!.nul).toBe(true);
  });

  it.each(['', '{', '{a: 1}', "{'a': 1}", '[1,]', '01', '1.', 'tru', '"\t"', '[1] 2', 'NaN'])('refuses %j, which is not JSON', (text) => {
    expect(readJsonText(text)).toBeUndefined();
  });

  it('reads whatever JSON.stringify writes, to the same value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = JSON.stringify(value);
        const reading = readJsonText(text);
        expect(reading).toBeDefined();
        expect(JSON.parse(reading!.canonical)).toEqual(JSON.parse(text));
        expect(readJsonText(JSON.stringify(value, null, 2))!.canonical).toBe(reading!.canonical);
      }),
    );
  });
});
