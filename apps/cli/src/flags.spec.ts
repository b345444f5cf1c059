import { inFlags } from './flags';

describe('library messages in flags', () => {
  it.each([
    ['raise `connectTimeoutSeconds`.', 'raise --connect-timeout.'],
    ["Use `mode: 'merge'` or `mode: 'replace'`.", 'Use --mode merge or --mode replace.'],
    ["pass `policies.longNames: 'shorten'` to", 'pass --long-names shorten to'],
    ["Leave it out with `exclude: ['big table']`, or", "Leave it out with --exclude 'big table', or"],
    ['`tables` names "userz": no such table', '--tables names "userz": no such table'],
    ['Give `local` (or HESAP_LOCAL_DB)', 'Give --local (or HESAP_LOCAL_DB)'],
    ["say so: `epochDates: 'ms'` (or 's'), `epochDates: { 'users.created_at': 'ms' }` this one.", "say so: --epoch-dates ms (or 's'), --epoch-dates users.created_at=ms this one."],
    ["`epochDates: { 'my table.at': 's' }`", "--epoch-dates 'my table.at=s'"],
  ])('%s', (library, cli) => {
    expect(inFlags(library)).toBe(cli);
  });

  it('leaves backticks that name no option as they are', () => {
    expect(inFlags('Run `hesap db pull` or `SELECT 1`; column `mode2`.')).toBe('Run `hesap db pull` or `SELECT 1`; column `mode2`.');
  });
});
