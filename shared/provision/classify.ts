export type Ec2ErrorKind = 'permanent' | 'transient';

// Retrying these cannot help: the request itself names something EC2 will never accept.
const PERMANENT = new Set([
  'InvalidParameterValue',
  'InvalidParameterCombination',
  'InvalidParameter',
  'MissingParameter',
  'Unsupported',
  'UnsupportedOperation',
  'InvalidSubnetID.NotFound',
  'InvalidGroup.NotFound',
  'InvalidSecurityGroupID.NotFound',
  'VPCIdNotSpecified',
  // Not EC2's, but just as final: the request cannot be turned into user data EC2 accepts.
  'UserDataError',
  'ScheduleExpressionError',
]);
// Throttling, capacity and service faults clear up on their own; the queue retries them.
const TRANSIENT = new Set([
  'RequestLimitExceeded',
  'InsufficientInstanceCapacity',
  'InsufficientCapacity',
  'InsufficientHostCapacity',
  'ServiceUnavailable',
  'Unavailable',
  'InternalError',
  'ThrottlingException',
]);

/**
 * Whether a RunInstances failure is worth retrying. Anything not known to be permanent (5xx, and
 * errors such as UnauthorizedOperation that an operator can fix) counts as transient: the queue
 * retries it and then dead-letters it, where it can be redriven, rather than failing the request.
 */
export function classifyEc2Error(error: unknown): Ec2ErrorKind {
  if (!(error instanceof Error)) return 'transient';
  if (TRANSIENT.has(error.name)) return 'transient';
  if (PERMANENT.has(error.name) || error.name.startsWith('InvalidAMIID.')) return 'permanent';
  return 'transient';
}
