/** Test helpers shared by every package: real databases, never mocks. */
export * from './postgres';
export * from './mysql';
export * from './sqlite-files';
export * from './edge-values';
export * from './peer-data';
export * from './tcp-proxy';
export { createTurnCounter, sumTurns } from './pg-turns';
export * from './tls-certs';
export * from './hesap-cli';
export * from './fault-checks';
export * from './secret-check';
export * from './sqlite-app';
export * from './imports';
export * from './typescript-example';
