/** Largest source packed with others by default; a larger one keeps an archive of its own (v1). */
export const DEFAULT_PACK_THRESHOLD_BYTES = 4 * 1024 * 1024;
/** Member bytes one pack holds at most: what one write keeps in memory, twice over (plain and sealed). */
export const MAX_PACK_PLAINTEXT_BYTES = 64 * 1024 * 1024;
