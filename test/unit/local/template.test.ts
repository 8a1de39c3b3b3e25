// biome-ignore-all lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub syntax is what is under test.
import { describe, expect, it } from 'vitest';
import { makeResolver } from '#local/template.ts';

const resolve = makeResolver(
  { accountId: '123456789012', region: 'eu-west-1', stackName: 'logvault-t' },
  async (id) => ({
    ref: `${id}-ref`,
    attrs: { Arn: `arn:${id}` },
  }),
);

describe('intrinsic functions', () => {
  it('resolves Ref, GetAtt and pseudo parameters', async () => {
    expect(await resolve({ Ref: 'Queue' })).toBe('Queue-ref');
    expect(await resolve({ 'Fn::GetAtt': ['Queue', 'Arn'] })).toBe('arn:Queue');
    expect(await resolve({ Ref: 'AWS::Region' })).toBe('eu-west-1');
  });

  it('resolves Sub with resources, attributes, pseudo parameters and escapes', async () => {
    expect(await resolve({ 'Fn::Sub': 'x-${AWS::AccountId}-${Bucket}-${Bucket.Arn}-${!Literal}' })).toBe(
      'x-123456789012-Bucket-ref-arn:Bucket-${Literal}',
    );
    expect(await resolve({ 'Fn::Sub': ['${A}/${B}', { A: 'a', B: { Ref: 'Key' } }] })).toBe('a/Key-ref');
  });

  it('resolves Join, Select and Split inside nested structures', async () => {
    expect(
      await resolve({
        list: [
          { 'Fn::Join': ['/', ['integrations', { Ref: 'Int' }]] },
          { 'Fn::Select': [1, { 'Fn::Split': [',', 'a,b,c'] }] },
        ],
      }),
    ).toEqual({ list: ['integrations/Int-ref', 'b'] });
  });
});
