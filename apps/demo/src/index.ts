/**
 * The demo app: the bill-splitting app "hesap paylaş" as its developers define it with
 * TypeORM, its sample data, and the end-to-end run (`npm start`). The benchmark builds
 * its database with the same model (tools/bench/generate.js).
 */
export { main, runDemo, type DemoOptions } from './main';
export { createDemoDatabase, type DemoDatabase } from './demo-database';
export { createSampleDatabase, openAppDatabase, random, DEMO_SIZE, type SampleSize } from './seed';
export * from './model';
