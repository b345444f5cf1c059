import { isDateTimeColumn, type Column, type Table } from '@hesap/core';

/**
 * One table's local columns as verify reads them where epoch integers meet the remote side's
 * date-times: as the instants they name (the SQLite source spells them), to compare with the
 * remote values as PostgreSQL prints them. The unit is the local profile's (the user's
 * `epochDates`) or the remote column's record; `local` and `remote` list the same columns in
 * the same order. An epoch column facing anything but a date-time is read as its integers.
 */
export function epochReadAs(local: Table, remote: Table): Table {
  if (!local.columns.some((c) => c.epoch) && !remote.columns.some((c) => c.epoch)) return local;
  const columns = local.columns.map((c, i): Column => {
    const r = remote.columns[i]!;
    const unit = c.epoch ?? r.epoch;
    if (unit && isDateTimeColumn(r) && (c.type === 'integer' || c.epoch)) return { ...c, type: r.type, epoch: unit };
    return c.epoch ? { ...c, type: 'integer', epoch: undefined } : c;
  });
  return { ...local, columns };
}
