import { describe, expect, it } from 'vitest';
import { pricesFor, priceTable } from '#shared/cost/prices.ts';
import { policies } from '#shared/policies.ts';

describe('the price table', () => {
  it('prices every storage class the policies write or transition to, in every region', () => {
    const classes = new Set(
      policies.policies.flatMap((p) => [p.storage.class, ...p.storage.transitions.map((t) => t.class)]),
    );
    for (const region of Object.keys(priceTable.regions)) {
      const s3 = pricesFor(region).s3;
      for (const c of classes) {
        expect(s3.storageGbMonth[c], `${region} ${c} storage`).toBeGreaterThan(0);
        expect(s3.writePer1000[c], `${region} ${c} writes`).toBeGreaterThan(0);
      }
    }
  });

  it('says where each service’s prices come from, and when they were read', () => {
    expect(Object.keys(priceTable.sources).sort()).toEqual(['dynamodb', 'kms', 'lambda', 's3', 'sqs']);
    expect(priceTable.retrieved).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('names the regions it has when asked for another', () => {
    expect(() => pricesFor('ap-south-2')).toThrow(/no prices for ap-south-2 .*us-east-1, eu-west-1/);
  });
});
