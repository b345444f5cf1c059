import { coresToSpare } from './sqlite-target';

describe('coresToSpare: when a pull inserts on a thread of its own', () => {
  it('never on one core', () => {
    expect(coresToSpare(1, 0)).toBe(false);
  });

  it('while the load average stays under the cores plus one', () => {
    expect(coresToSpare(2, 0)).toBe(true);
    expect(coresToSpare(2, 2.9)).toBe(true);
    expect(coresToSpare(8, 6)).toBe(true);
  });

  it('not when every core is taken and more wait', () => {
    expect(coresToSpare(2, 3)).toBe(false);
    expect(coresToSpare(2, 7.5)).toBe(false);
  });
});
