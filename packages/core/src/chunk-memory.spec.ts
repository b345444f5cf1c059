import { CHUNK_COLLECT_BYTES, chunkCollectionAvailable, chunksPassed } from './chunk-memory';

/** The most memory held by dead chunks of `size` bytes while `total` bytes of them go by, one at a time. */
function peakChunkMemory(size: number, total: number, note: (bytes: number) => void): number {
  const start = process.memoryUsage().arrayBuffers;
  let peak = 0;
  let sum = 0;
  for (let i = 0; i * size < total; i++) {
    // Its own ArrayBuffer outside the heap, as a BLOB or a socket read is (not a pool slice).
    const chunk = Buffer.alloc(size, i & 0xff);
    sum += chunk[size - 1]!;
    note(chunk.length);
    if (i % 16 === 0) peak = Math.max(peak, process.memoryUsage().arrayBuffers - start);
  }
  expect(sum).toBeGreaterThan(0);
  return peak;
}

describe('chunksPassed', () => {
  it('is available under Node', () => {
    expect(chunkCollectionAvailable()).toBe(true);
  });

  it('keeps the memory of dead chunks to a few collection periods', () => {
    // 256 MiB of 64 KiB chunks. Without early collection V8 lets tens of MB of them pile up
    // (its external-memory limit): with a `note` that does nothing, the peak here was 38 MiB.
    const peak = peakChunkMemory(64 * 1024, 256 * 1024 * 1024, chunksPassed);
    expect(peak).toBeLessThan(8 * CHUNK_COLLECT_BYTES);
  });
});
