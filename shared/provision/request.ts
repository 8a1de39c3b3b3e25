import * as z from 'zod';
import {
  type FieldIssue,
  PayloadTooLargeError,
  QuotaExceededError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../errors.ts';
import { keyedRecord } from '../keyed-record.ts';
import { scheduleExpressionSchema } from '../schedule/expression.ts';
import { renderUserData, UserDataError } from './user-data.ts';

/** API Gateway allows 10 MB; an instance request is a few hundred bytes, so anything larger is a mistake. */
export const MAX_BODY_BYTES = 16 * 1024;

/** What an instance ships when the request names no paths: the system log and application logs. */
export const DEFAULT_LOG_PATHS = ['/var/log/messages', '/var/log/app/**/*.log'] as const;

export interface RequestLimits {
  readonly instanceTypes: readonly string[];
  readonly maxCount: number;
  readonly policyNames: readonly string[];
  /** Where the instances launch; its name is part of the user data, whose size EC2 caps. */
  readonly region: string;
}

/** One instance tag. Tags travel as a list sorted by key, never as an object keyed by the caller's names. */
export interface TagPair {
  readonly key: string;
  readonly value: string;
}

/** Compares keys by UTF-16 code units, the same on every runtime and locale. */
export const byKey = ([a]: [string, unknown], [b]: [string, unknown]): number => (a < b ? -1 : a > b ? 1 : 0);

/** A tag map as pairs sorted by key: the same tags in any order give the same list. */
export function tagPairs(tags: Readonly<Record<string, string>>): TagPair[] {
  return Object.entries(tags)
    .sort(byKey)
    .map(([key, value]) => ({ key, value }));
}

const tagKey = z
  .string()
  .min(1)
  .max(128)
  .refine((k) => !/^(aws|logvault):/i.test(k), 'tag keys starting aws: or logvault: are reserved')
  .refine((k) => k !== 'Name', 'set the Name tag through the name field');

/** The body of POST /instances. Unknown fields are refused so that a typo cannot silently do nothing. */
export function instanceRequestSchema(limits: RequestLimits) {
  return z.strictObject({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "1-64 letters, digits, '.', '_' or '-'"),
    instanceType: z.string().refine((t) => limits.instanceTypes.includes(t), {
      message: `must be one of ${limits.instanceTypes.join(', ')}`,
    }),
    imageId: z
      .string()
      .regex(/^ami-[0-9a-f]{8,17}$/, 'must be an AMI id (ami-…)')
      .optional(),
    count: z.number().int().min(1).default(1),
    subnetId: z
      .string()
      .regex(/^subnet-[0-9a-f]{8,17}$/, 'must be a subnet id (subnet-…)')
      .optional(),
    securityGroupIds: z
      .array(z.string().regex(/^sg-[0-9a-f]{8,17}$/, 'must be a security group id (sg-…)'))
      .min(1)
      .max(5)
      .optional(),
    // A tag named `constructor` must not become a property the DynamoDB marshaller inspects, and the
    // same tags in another order are the same request: sorted pairs are both.
    tags: keyedRecord(tagKey, z.string().max(256), 'a tag key')
      .refine((t) => Object.keys(t).length <= 40, 'at most 40 tags')
      .default({})
      .transform(tagPairs),
    logPaths: z
      .array(
        z
          .string()
          .startsWith('/', 'must be an absolute path or glob')
          .max(512)
          .refine((p) => !/[\0\n\r"'`$\\]/.test(p), 'must not contain quotes, $, \\, line breaks or NUL'),
      )
      .min(1)
      .max(32)
      .default([...DEFAULT_LOG_PATHS]),
    backupFrequency: scheduleExpressionSchema,
    policy: z
      .string()
      .refine((p) => limits.policyNames.includes(p), {
        message: `must name a policy in policies.json (${limits.policyNames.join(', ')})`,
      })
      .optional(),
  });
}
export type InstanceRequest = z.output<ReturnType<typeof instanceRequestSchema>>;

export interface HttpBody {
  readonly headers?: Record<string, string | undefined>;
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
}

/** Turns zod issues into one entry per field; an unknown key is reported under its own name. */
export function fieldIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.flatMap((issue) => {
    const at = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys')
      return issue.keys.map((k) => ({ field: at ? `${at}.${k}` : k, message: 'unknown field' }));
    return [{ field: at || 'body', message: issue.message }];
  });
}

// Longer than any real value: the worker renders with the stage's ingest bucket (S3 names have at
// most 63 characters) and the request id (always 36), so what fits here fits there.
const LONGEST_BUCKET = 'b'.repeat(63);
const REQUEST_ID_SHAPE = '00000000-0000-0000-0000-000000000000';

/**
 * Renders the user data the provision worker would, so a request whose instances EC2 would refuse
 * (user data over 16 KiB) is refused now with a 400, not accepted and failed later.
 */
function checkUserDataFits(request: InstanceRequest, region: string): void {
  try {
    renderUserData({
      ingestBucket: LONGEST_BUCKET,
      region,
      logPaths: request.logPaths,
      backupFrequency: request.backupFrequency,
      requestId: REQUEST_ID_SHAPE,
    });
  } catch (error) {
    if (!(error instanceof UserDataError)) throw error;
    // The message names the size and EC2's limit.
    throw new ValidationError([{ field: 'logPaths', message: error.message }]);
  }
}

/** Checks type, size, JSON and schema, in that order, then the quota, then that the user data fits. */
export function parseInstanceRequest(event: HttpBody, limits: RequestLimits): InstanceRequest {
  const contentType = Object.entries(event.headers ?? {}).find(
    ([k]) => k.toLowerCase() === 'content-type',
  )?.[1];
  if (!contentType || !/^application\/([a-z.+-]*\+)?json\s*(;|$)/i.test(contentType))
    throw new UnsupportedMediaTypeError('content-type must be application/json');
  const raw = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
  if (raw.length > MAX_BODY_BYTES)
    throw new PayloadTooLargeError(`body is ${raw.length} bytes; the limit is ${MAX_BODY_BYTES}`);
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new ValidationError([{ field: 'body', message: 'not valid JSON' }]);
  }
  const parsed = instanceRequestSchema(limits).safeParse(value);
  if (!parsed.success) throw new ValidationError(fieldIssues(parsed.error));
  if (parsed.data.count > limits.maxCount)
    throw new QuotaExceededError([
      {
        field: 'count',
        message: `at most ${limits.maxCount} instances per request (asked for ${parsed.data.count})`,
      },
    ]);
  checkUserDataFits(parsed.data, limits.region);
  return parsed.data;
}
