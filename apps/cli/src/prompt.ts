import * as readline from 'node:readline';

/**
 * A question on the terminal (stderr, so stdout stays the command's), answered on stdin.
 * `secret`: what is typed is not echoed (a URL with a password).
 */
export async function ask(question: string, options: { secret?: boolean; default?: string } = {}): Promise<string> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr, terminal: Boolean(process.stdin.isTTY) });
  const shown = options.default ? `${question} [${options.default}] ` : question ? `${question} ` : '';
  if (options.secret && process.stdin.isTTY) {
    // readline echoes through _writeToOutput: once the question is out, nothing more is shown.
    const writer = rl as unknown as { _writeToOutput: (s: string) => void; output: NodeJS.WritableStream };
    let asked = false;
    writer._writeToOutput = (s: string) => {
      if (!asked || /^\r?\n$/.test(s)) writer.output.write(s);
    };
    const answer = new Promise<string>((resolve) => rl.question(shown, resolve));
    asked = true;
    return finish(rl, answer, options.default);
  }
  return finish(rl, new Promise<string>((resolve) => rl.question(shown, resolve)), options.default);
}

async function finish(rl: readline.Interface, answer: Promise<string>, fallback: string | undefined): Promise<string> {
  const closed = new Promise<string>((resolve) => rl.once('close', () => resolve('')));
  const text = await Promise.race([answer, closed]);
  rl.close();
  return text.trim() || fallback || '';
}
