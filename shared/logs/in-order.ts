/**
 * Puts one generation's members back in byte order as they arrive, in whatever order (pure).
 * `push` answers the runs of bytes that can go out now, each starting where the last ended;
 * members that arrive ahead of the bytes before them wait. Bytes already sent (where segments
 * overlap) are not sent twice. `drain` answers what still waits, behind holes, in order, each run
 * with the offset it belongs at.
 */
export class InOrder {
  #at = 0;
  readonly #waiting: { start: number; bytes: Buffer }[] = [];

  /** Offset of the next byte to go out. */
  get at(): number {
    return this.#at;
  }

  push(start: number, bytes: Buffer): Buffer[] {
    this.#waiting.push({ start, bytes });
    return this.#ready();
  }

  #ready(): Buffer[] {
    const out: Buffer[] = [];
    for (;;) {
      this.#waiting.sort((a, b) => a.start - b.start);
      for (let i = this.#waiting.length - 1; i >= 0; i--) {
        const w = this.#waiting[i] as { start: number; bytes: Buffer };
        if (w.start + w.bytes.length <= this.#at) this.#waiting.splice(i, 1);
      }
      const next = this.#waiting.find((w) => w.start <= this.#at && w.start + w.bytes.length > this.#at);
      if (!next) return out;
      out.push(next.bytes.subarray(this.#at - next.start));
      this.#at = next.start + next.bytes.length;
    }
  }

  /** What waits behind holes: each run with its true offset, in order. */
  drain(): { start: number; bytes: Buffer }[] {
    const out: { start: number; bytes: Buffer }[] = [];
    while (this.#waiting.some((w) => w.start + w.bytes.length > this.#at)) {
      const first = this.#waiting
        .filter((w) => w.start + w.bytes.length > this.#at)
        .sort((a, b) => a.start - b.start)[0] as { start: number; bytes: Buffer };
      this.#at = Math.max(this.#at, first.start);
      const start = this.#at;
      const ready = this.#ready();
      if (ready.length > 0) out.push({ start, bytes: Buffer.concat(ready) });
    }
    this.#waiting.length = 0;
    return out;
  }
}
