import type { LifecycleRule, NotificationConfiguration, ServerSideEncryptionRule } from '@aws-sdk/client-s3';

/** CloudFormation's lifecycle rule shape, as far as logvault's template uses it. */
interface CfnLifecycleRule {
  Id?: string;
  Status: 'Enabled' | 'Disabled';
  Prefix?: string;
  TagFilters?: { Key: string; Value: string }[];
  ExpirationInDays?: number;
  ExpiredObjectDeleteMarker?: boolean;
  AbortIncompleteMultipartUpload?: { DaysAfterInitiation: number };
  NoncurrentVersionExpiration?: { NoncurrentDays: number };
  Transitions?: { StorageClass: string; TransitionInDays: number }[];
}

function filterOf(rule: CfnLifecycleRule): LifecycleRule['Filter'] {
  const tags = rule.TagFilters ?? [];
  if (tags.length === 0) return { Prefix: rule.Prefix ?? '' };
  if (tags.length === 1 && !rule.Prefix) return { Tag: tags[0] };
  return { And: { Prefix: rule.Prefix, Tags: tags } };
}

/** Translates CloudFormation `LifecycleConfiguration.Rules` into the S3 API's shape. */
export function toLifecycleRules(cfn: { Rules: CfnLifecycleRule[] }): LifecycleRule[] {
  return cfn.Rules.map((r) => ({
    ID: r.Id,
    Status: r.Status,
    Filter: filterOf(r),
    ...(r.ExpirationInDays || r.ExpiredObjectDeleteMarker
      ? {
          Expiration: r.ExpirationInDays
            ? { Days: r.ExpirationInDays }
            : { ExpiredObjectDeleteMarker: r.ExpiredObjectDeleteMarker },
        }
      : {}),
    ...(r.AbortIncompleteMultipartUpload
      ? { AbortIncompleteMultipartUpload: r.AbortIncompleteMultipartUpload }
      : {}),
    ...(r.NoncurrentVersionExpiration ? { NoncurrentVersionExpiration: r.NoncurrentVersionExpiration } : {}),
    ...(r.Transitions
      ? {
          Transitions: r.Transitions.map((t) => ({
            Days: t.TransitionInDays,
            StorageClass: t.StorageClass as never,
          })),
        }
      : {}),
  }));
}

interface CfnQueueConfiguration {
  Event: string;
  Queue: string;
  Filter?: { S3Key: { Rules: { Name: string; Value: string }[] } };
}

/** Translates CloudFormation `NotificationConfiguration` (queue targets) into the S3 API's shape. */
export function toNotificationConfiguration(cfn: {
  QueueConfigurations?: CfnQueueConfiguration[];
}): NotificationConfiguration {
  return {
    QueueConfigurations: (cfn.QueueConfigurations ?? []).map((q) => ({
      Events: [q.Event as never],
      QueueArn: q.Queue,
      ...(q.Filter ? { Filter: { Key: { FilterRules: q.Filter.S3Key.Rules as never } } } : {}),
    })),
  };
}

interface CfnEncryptionRule {
  BucketKeyEnabled?: boolean;
  ServerSideEncryptionByDefault: { SSEAlgorithm: string; KMSMasterKeyID?: string };
}

/** CloudFormation calls it `ServerSideEncryptionByDefault`; the API, `ApplyServerSideEncryptionByDefault`. */
export function toEncryptionRules(cfn: {
  ServerSideEncryptionConfiguration: CfnEncryptionRule[];
}): ServerSideEncryptionRule[] {
  return cfn.ServerSideEncryptionConfiguration.map((r) => ({
    BucketKeyEnabled: r.BucketKeyEnabled,
    ApplyServerSideEncryptionByDefault:
      r.ServerSideEncryptionByDefault as ServerSideEncryptionRule['ApplyServerSideEncryptionByDefault'],
  }));
}
