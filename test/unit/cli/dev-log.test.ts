import { describe, expect, it } from 'vitest';
import { classifyLine, shortLogLine } from '#cli/dev-log.ts';

const record = {
  level: 'INFO',
  message: 'archived',
  timestamp: '2026-11-26T08:05:24.801Z',
  service: 'logvault',
  cold_start: false,
  function_arn: 'arn:aws:lambda:us-east-1:123456789012:function:logvault-local-archive',
  function_memory_size: '1769',
  function_name: 'logvault-local-archive',
  function_request_id: '498f3b02-ba86-479a-9919-e10a9c6bbe8d',
  sampling_rate: 0,
  messageId: '73ecd92b-dcd0-47ac-af87-9850cb99cb9a',
  objectKey: 't1/a.log',
  archiveKey: 'archive/t1/2026-11-26/a.log.0b3103a31195f4a6.lv',
  policy: 'standard',
};

describe('shortLogLine', () => {
  it("keeps the time, the message and the record's own fields, not Lambda's", () => {
    expect(shortLogLine(JSON.stringify(record))).toBe(
      '08:05:24 archived  objectKey=t1/a.log archiveKey=archive/t1/2026-11-26/a.log.0b3103a31195f4a6.lv policy=standard',
    );
  });

  it('shows the level when it is not INFO, and quotes values with spaces', () => {
    const warn = {
      ...record,
      level: 'WARN',
      message: 'source vanished',
      error: 'No such key',
      policy: undefined,
    };
    expect(shortLogLine(JSON.stringify(warn))).toContain('08:05:24 WARN source vanished  ');
    expect(shortLogLine(JSON.stringify(warn))).toContain('error="No such key"');
  });

  it('stays short for a long record', () => {
    const long = { ...record, objectKey: 'x'.repeat(1000) };
    expect(shortLogLine(JSON.stringify(long)).length).toBeLessThanOrEqual(220);
  });
});

describe('classifyLine', () => {
  it('tells log records, metrics records and other lines apart', () => {
    expect(classifyLine(JSON.stringify(record))).toBe('log');
    expect(classifyLine('{"_aws":{"Timestamp":1},"Archived":1}')).toBe('metrics');
    expect(classifyLine('logvault dev ready in 3.9s: aws=…')).toBe('other');
    expect(classifyLine('{"error":"x","exitCode":1}')).toBe('other');
    expect(classifyLine('{not json')).toBe('other');
  });
});
