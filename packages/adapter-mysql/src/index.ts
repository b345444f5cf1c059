/** @hesap/adapter-mysql: hesap adapter for MariaDB and MySQL (mysql2). */
export { MysqlAdapter, mysqlAdapter, mysqlAdapter as adapter } from './mysql-adapter';
export { MysqlIntrospector } from './mysql-introspector';
export { MysqlSource } from './mysql-source';
export { MysqlTarget } from './mysql-target';
export { parseMysqlUrl, type MysqlLocation } from './mysql-connection';
export { quoteMysqlIdent } from './mysql-identifiers';
