import type { Column, Table } from '@hesap/core';

const isDateTime = (c: Column) => c.type === 'timestamp' || c.type === 'timestamptz';

/**
 * One table's common columns as verify reads them on each side where epoch integers meet
 * date-times: the local integers as the instants they name (the SQLite source spells them),
 * the remote date-times as PostgreSQL prints them. The unit is the local profile's (the
 * user's `epochDates`) or the remote column's record; `local` and `remote` list the same
 * columns in the same order. An epoch column facing anything but a date-time is read as the
 * integers it holds.
 */
export function epochPairs(local: Table, remote: Table): { local: Table; remote: Table } {
  if (!local.columns.some((c) => c.epoch) && !remote.columns.some((c) => c.epoch)) return { local, remote };
  const localColumns = local.columns.map((c, i): Column => {
    const r = remote.columns[i]!;
    const unit = c.epoch ?? r.epoch;
    if (unit && isDateTime(r) && (c.type === 'integer' || c.epoch)) return { ...c, type: r.type, epoch: unit };
    return c.epoch ? { ...c, type: 'integer', epoch: undefined } : c;
  });
  const remoteColumns = remote.columns.map((c): Column => (c.epoch ? { ...c, epoch: undefined } : c));
  return { local: { ...local, columns: localColumns }, remote: { ...remote, columns: remoteColumns } };
}
