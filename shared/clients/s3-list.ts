import {
  ListObjectsV2Command,
  type ListObjectsV2CommandInput,
  type ListObjectsV2CommandOutput,
  ListObjectVersionsCommand,
  type ListObjectVersionsCommandInput,
  type ListObjectVersionsCommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';

/**
 * Keys travel in XML, which cannot carry every character a key may hold: a `\r` comes back as
 * `\n`, and `\x01` cannot be written at all. Every listing therefore asks S3 to URL-encode its keys
 * (`EncodingType=url`) and decodes what S3 says it encoded, so callers always see the exact key.
 */
export function decodeListed(value: string): string;
export function decodeListed(value: string | undefined): string | undefined;
export function decodeListed(value: string | undefined): string | undefined {
  // S3's url encoding writes a space as `+` and a literal `+` as `%2B` (as botocore decodes it).
  return value === undefined ? undefined : decodeURIComponent(value.replace(/\+/g, ' '));
}

type Encoded = { EncodingType?: string };
const encoded = (out: Encoded) => out.EncodingType === 'url';

/** ListObjectsV2 with exact keys: Contents[].Key, CommonPrefixes[].Prefix, Prefix, StartAfter, Delimiter. */
export async function listObjectsV2(
  s3: S3Client,
  input: Omit<ListObjectsV2CommandInput, 'EncodingType'>,
): Promise<ListObjectsV2CommandOutput> {
  const out = await s3.send(new ListObjectsV2Command({ ...input, EncodingType: 'url' }));
  if (!encoded(out)) return out;
  return {
    ...out,
    Prefix: decodeListed(out.Prefix),
    StartAfter: decodeListed(out.StartAfter),
    Delimiter: decodeListed(out.Delimiter),
    Contents: out.Contents?.map((o) => ({ ...o, Key: decodeListed(o.Key) })),
    CommonPrefixes: out.CommonPrefixes?.map((p) => ({ ...p, Prefix: decodeListed(p.Prefix) })),
  };
}

/** ListObjectVersions with exact keys: Versions, DeleteMarkers, CommonPrefixes, the key markers, Prefix, Delimiter. */
export async function listObjectVersions(
  s3: S3Client,
  input: Omit<ListObjectVersionsCommandInput, 'EncodingType'>,
): Promise<ListObjectVersionsCommandOutput> {
  const out = await s3.send(new ListObjectVersionsCommand({ ...input, EncodingType: 'url' }));
  if (!encoded(out)) return out;
  return {
    ...out,
    Prefix: decodeListed(out.Prefix),
    Delimiter: decodeListed(out.Delimiter),
    KeyMarker: decodeListed(out.KeyMarker),
    NextKeyMarker: decodeListed(out.NextKeyMarker),
    Versions: out.Versions?.map((v) => ({ ...v, Key: decodeListed(v.Key) })),
    DeleteMarkers: out.DeleteMarkers?.map((m) => ({ ...m, Key: decodeListed(m.Key) })),
    CommonPrefixes: out.CommonPrefixes?.map((p) => ({ ...p, Prefix: decodeListed(p.Prefix) })),
  };
}

/** Every key under a prefix; with a delimiter, the common prefixes too. */
export async function listKeys(
  s3: S3Client,
  bucket: string,
  prefix = '',
  delimiter?: string,
): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await listObjectsV2(s3, {
      Bucket: bucket,
      Prefix: prefix,
      ContinuationToken: token,
      ...(delimiter ? { Delimiter: delimiter } : {}),
    });
    for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
    for (const p of page.CommonPrefixes ?? []) if (p.Prefix) keys.push(p.Prefix);
    token = page.NextContinuationToken;
  } while (token);
  return keys;
}
