import { HesapError, maskConnectionTextsIn } from '@hesap/core';
import { inFlags } from './flags';
import type { Output } from './output';

/**
 * Exit codes: 0 success; 1 the operation failed, `verify` found a difference, or a prompt
 * was answered no (nothing changed); 2 usage or configuration; 3 a push or copy committed
 * but left source rows out (listed; `complete: false`).
 */
export const EXIT = { ok: 0, failed: 1, declined: 1, usage: 2, rowsLeftOut: 3, conflicts: 4 } as const;

/**
 * An error as the CLI shows it: in flags' words (the API names its options), as the one
 * JSON document with --json, else a one-line message and its hints on stderr, with the
 * chain of causes and their stacks only when asked for (--log-level debug).
 */
export function renderError(out: Output, error: HesapError, withStacks = false): void {
  const message = inFlags(error.message);
  const hints = error.hints.map(inFlags);
  if (out.json) {
    out.document({ error: errorJson(error) });
    return;
  }
  out.note(`${out.red('Error')} ${out.dim(`[${error.code}]`)} ${message.split('\n')[0]}`);
  for (const hint of hints) out.note(`  ${out.cyan('→')} ${hint}`);
  if (withStacks) {
    let cause: unknown = error;
    while (cause instanceof Error) {
      // A cause is the driver's own error, its message as the driver wrote it.
      out.note(out.dim(maskConnectionTextsIn(cause.stack ?? cause.message)));
      cause = cause.cause;
    }
  }
}

/** An error's JSON form, in flags' words. */
export function errorJson(error: HesapError): Record<string, unknown> {
  const hints = error.hints.map(inFlags);
  return { ...error.toJSON(), message: inFlags(error.message), ...(hints.length > 0 ? { hints } : {}) };
}
