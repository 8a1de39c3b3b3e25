import { describe, expect, it } from 'vitest';
import { classifyEc2Error } from '#shared/provision/classify.ts';

function ec2Error(name: string, status: number): Error {
  return Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode: status } });
}

describe('classifyEc2Error', () => {
  it.each([
    ['InvalidParameterValue', 400],
    ['Unsupported', 400],
    ['InvalidAMIID.NotFound', 400],
    ['InvalidAMIID.Malformed', 400],
    ['InvalidSubnetID.NotFound', 400],
  ])('%s is permanent', (name, status) => {
    expect(classifyEc2Error(ec2Error(name, status))).toBe('permanent');
  });

  it.each([
    ['RequestLimitExceeded', 503],
    ['InsufficientInstanceCapacity', 500],
    ['InternalError', 500],
    ['ServiceUnavailable', 503],
    ['SomethingNew', 502],
    ['UnauthorizedOperation', 403],
  ])('%s is transient', (name, status) => {
    expect(classifyEc2Error(ec2Error(name, status))).toBe('transient');
  });

  it('treats a network failure (not an EC2 answer) as transient', () => {
    expect(classifyEc2Error(new TypeError('fetch failed'))).toBe('transient');
  });
});
