/** @hesap/adapter-postgres: PostgreSQL as a hesap source and target, through COPY. */
export { PostgresAdapter, postgresAdapter, type PostgresProbeResult } from './postgres-adapter';
export { PostgresSource } from './postgres-source';
export { PostgresTarget, type PostgresTargetOptions } from './postgres-target';
export { PostgresIntrospector } from './postgres-introspector';
export { connectPool, describeTls, isTransient, mapConnectionError } from './postgres-connection';
export { parsePostgresLocation, isPostgresLocation, parseServiceFile, type SslMode, type PostgresLocation } from './postgres-location';
export { mapQueryError } from './postgres-errors';
export { checkPrivileges, grantStatements, type IdentityMapUse } from './postgres-privileges';
export { postgresType, neutralType, quoteLiteral } from './postgres-types';
export { LISTED as OWNERSHIP_LISTED } from './merge/owned';
