/** S3 storage classes a policy may name, warmest first: the order transitions must follow. */
export const STORAGE_CLASSES = [
  'STANDARD',
  'INTELLIGENT_TIERING',
  'STANDARD_IA',
  'ONEZONE_IA',
  'GLACIER_IR',
  'GLACIER',
  'DEEP_ARCHIVE',
] as const;

/** One of {@link STORAGE_CLASSES}. */
export type StorageClassName = (typeof STORAGE_CLASSES)[number];

/** Position in the warm-to-cold order; a transition must always go to a higher one. */
export function coldness(storageClass: StorageClassName): number {
  return STORAGE_CLASSES.indexOf(storageClass);
}

/** Days S3 bills an object in this class for, even if it is deleted or moved out sooner. */
export function minimumStorageDays(storageClass: StorageClassName): number {
  switch (storageClass) {
    case 'STANDARD_IA':
    case 'ONEZONE_IA':
      return 30;
    case 'GLACIER_IR':
    case 'GLACIER':
      return 90;
    case 'DEEP_ARCHIVE':
      return 180;
    default:
      return 0;
  }
}

/**
 * S3 lifecycle refuses transitions into the infrequent-access classes before day 30, and requires
 * 30 days in them before a later transition moves the object on.
 */
export function isInfrequentAccess(storageClass: StorageClassName): boolean {
  return storageClass === 'STANDARD_IA' || storageClass === 'ONEZONE_IA';
}

/** S3 lifecycle's floor for both rules in {@link isInfrequentAccess}. */
export const INFREQUENT_ACCESS_MIN_DAYS = 30;
