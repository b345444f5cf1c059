/** @hesap/tools: Nx generators for the hesap workspace. */
export { adapterGenerator, normalizeOptions, type AdapterGeneratorSchema, type NormalizedAdapterOptions } from './adapter/generator';
