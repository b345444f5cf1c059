import { placedName, quoteQualified, type Table } from '@hesap/core';

/** A table's place in PostgreSQL: its schema and its own name there. */
export interface Relation {
  schema: string;
  name: string;
}

/**
 * Where the tables of a load live, by their names in the neutral model. A table that came
 * from another schema (it carries its place, see TablePlace) lives there; any other name
 * is a table of the location's own schema, a dot in it being part of the name. Every
 * statement names its tables through {@link Places.quoted}.
 */
export class Places {
  private readonly placed = new Map<string, Relation>();

  /** `tables`: every table the load knows of (its own and the target's), placed or not. */
  constructor(
    readonly schema: string,
    tables: Iterable<Pick<Table, 'name' | 'place'> | undefined> = [],
  ) {
    for (const t of tables) if (t?.place) this.placed.set(t.name, { schema: t.place.schema, name: t.place.table });
  }

  /** Where the table of this name lives. */
  of(name: string): Relation {
    return this.placed.get(name) ?? { schema: this.schema, name };
  }

  /** The name a table of the database has in the load: bare in the location's schema, `schema.table` elsewhere. */
  nameOf(relation: Relation): string {
    return relation.schema === this.schema ? relation.name : placedName({ schema: relation.schema, table: relation.name });
  }

  /** The table's qualified SQL name, each part quoted. */
  quoted(name: string): string {
    const r = this.of(name);
    return quoteQualified(r.schema, r.name);
  }

  /** The schemas the load's tables live in: the location's own first. */
  schemas(names: Iterable<string>): string[] {
    return [...new Set([this.schema, ...[...names].map((n) => this.of(n).schema)])];
  }
}
