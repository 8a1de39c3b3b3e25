import { createHash } from 'node:crypto';

/**
 * Member identity: what the archive stores once and a restore gives back.
 *
 * - `object`: a whole ingest object not made by a logvault shipper. Content-based, like the v1
 *   archive id: the same bytes at the same key are one member, whatever version or delivery
 *   brought them; a second version with other content is a second member (a second generation).
 * - `segment`: bytes [start, end) of one generation of one log path of one source, sent by a
 *   logvault shipper. The digest is part of the identity, so a re-send of the same bytes is the
 *   same member while different bytes claimed for the same range are kept (and reported) apart.
 * - `gap`: a byte range of a generation that the host lost before it could be shipped.
 */
export type MemberIdentity =
  | { readonly kind: 'object'; readonly bucket: string; readonly key: string; readonly sha256: string }
  | {
      readonly kind: 'segment';
      readonly source: string;
      readonly path: string;
      readonly generation: string;
      readonly start: number;
      readonly end: number;
      readonly sha256: string;
    }
  | {
      readonly kind: 'gap';
      readonly source: string;
      readonly path: string;
      readonly generation: string;
      readonly start: number;
      readonly end: number;
      readonly reason: string;
    };

function fieldsOf(m: MemberIdentity): (string | number)[] {
  switch (m.kind) {
    case 'object':
      return [m.bucket, m.key, m.sha256];
    case 'segment':
      return [m.source, m.path, m.generation, m.start, m.end, m.sha256];
    case 'gap':
      return [m.source, m.path, m.generation, m.start, m.end, m.reason];
  }
}

/**
 * A member's id: 32 hex digits (128 bits) of SHA-256 over its kind and identity fields. Fields are
 * length-prefixed, so no choice of path or key (newlines included) can make two identities meet.
 */
export function memberId(m: MemberIdentity): string {
  const hash = createHash('sha256').update(m.kind);
  for (const field of fieldsOf(m)) {
    const text = String(field);
    hash.update(`\n${Buffer.byteLength(text)}:`).update(text);
  }
  return hash.digest('hex').slice(0, 32);
}

/** `YYYYMMDDTHHMMSSZ` of an instant (UTC): the sortable time part of generation and batch ids. */
export function compactUtc(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
}

const COMPACT_UTC = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** Reads a {@link compactUtc} string back; undefined when it is not one. */
export function parseCompactUtc(text: string): Date | undefined {
  const m = COMPACT_UTC.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m;
  const date = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}Z`);
  return Number.isNaN(date.getTime()) || compactUtc(date) !== text ? undefined : date;
}

/** The file a shipper saw: which device and inode, and a digest of its first bytes. */
export interface FileIdentity {
  readonly dev: number;
  readonly ino: number;
  /** Hex SHA-256 of the file's first `fingerprintBytes` bytes. */
  readonly fingerprint: string;
}

/**
 * A shipped generation's id: when the shipper first saw the file, and 8 hex digits of its
 * identity, `YYYYMMDDTHHMMSSZ-xxxxxxxx`. Sorting ids sorts generations by first sight.
 */
export function shippedGenerationId(firstSeen: Date, file: FileIdentity): string {
  const tag = createHash('sha256').update(`${file.dev}\n${file.ino}\n${file.fingerprint}`).digest('hex');
  return `${compactUtc(firstSeen)}-${tag.slice(0, 8)}`;
}

const GENERATION_ID = /^\d{8}T\d{6}Z(-[0-9a-f]{8})?$/;

/** True for a generation id this module makes (shipped, or an object's modification time). */
export function isGenerationId(text: string): boolean {
  return GENERATION_ID.test(text) && parseCompactUtc(text.slice(0, 16)) !== undefined;
}

/** An object member's generation: the source version's modification time, to the second. */
export function objectGenerationId(modified: Date): string {
  return compactUtc(modified);
}
