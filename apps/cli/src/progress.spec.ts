import { ProgressDisplay } from './progress';

/** A terminal of a given width that keeps what is written to it. */
function terminal(columns: number | undefined): NodeJS.WriteStream & { text: string } {
  const stream = { isTTY: true, columns, text: '', write: (s: string) => ((stream.text += s), true) };
  return stream as unknown as NodeJS.WriteStream & { text: string };
}

const event = { table: 'orders', phase: 'done' as const, rowsDone: 1500, rowsTotal: 1500, bytes: 10, index: 0, count: 1 };

describe('the progress line', () => {
  it('is whole when the terminal reports no width (0 or none)', () => {
    for (const columns of [0, undefined]) {
      const t = terminal(columns);
      new ProgressDisplay(t).update(event);
      expect(t.text).toMatch(/\[1\/1\] orders {2}1,500 \/ 1,500 rows \(100%\).* {2}done\n$/);
    }
  });

  it('is cut to one column less than the terminal is wide, so it is rewritten in place', () => {
    const t = terminal(20);
    new ProgressDisplay(t).update(event);
    expect(t.text.replace(/^\r\u001b\[2K/, '')).toBe('[1/1] orders  1,500\n');
  });
});
