import { maskConnectionText } from './conninfo';

/**
 * Keeping secrets out of output. A connection text is shown with its secrets masked where
 * they stand (`postgresql://user:***@host/db`, `host=db password=***`), by its structure:
 * see {@link maskConnectionText}. Output is never searched for a password's characters.
 */

/** The URL (or keyword string) with its password and password-like parameters replaced by `***`. */
export function redactUrl(url: string): string {
  return maskConnectionText(url);
}
