import * as z from 'zod';
import table from './prices.json' with { type: 'json' };

/**
 * The price table (shared/cost/prices.json): AWS list prices for what logvault pays per request,
 * per GB-month and per GB-second, by region, with the date they were read and the pages they come
 * from. `npm run bench` models a fleet's monthly cost from it; `logvault cost` reads it too.
 */

export const DYNAMODB_TABLE_CLASSES = ['STANDARD', 'STANDARD_INFREQUENT_ACCESS'] as const;
export type DynamoTableClass = (typeof DYNAMODB_TABLE_CLASSES)[number];

const usd = z.number().nonnegative();
const byClass = z.record(z.string(), usd);

const regionPricesSchema = z.strictObject({
  s3: z.strictObject({
    storageGbMonth: byClass,
    /** PUT, COPY, POST and LIST requests, by the storage class written. */
    writePer1000: byClass,
    /** GET, HEAD and every other request (DELETE is free). */
    readPer1000: usd,
    /** Lifecycle transition requests, by the class transitioned to. */
    transitionPer1000: byClass,
  }),
  kms: z.strictObject({ requestsPer10000: usd, keyMonth: usd }),
  sqs: z.strictObject({ requestsPerMillion: usd }),
  lambda: z.strictObject({
    requestsPerMillion: usd,
    gbSecond: z.strictObject({ arm64: usd, x86_64: usd }),
  }),
  /** Point-in-time recovery: per GB-month of a table's base size, whatever its class. */
  dynamodbPitrGbMonth: usd,
  /** On-demand prices by table class. */
  dynamodb: z.record(
    z.enum(DYNAMODB_TABLE_CLASSES),
    z.strictObject({ writeUnitsPerMillion: usd, readUnitsPerMillion: usd, storageGbMonth: usd }),
  ),
});

const priceTableSchema = z.strictObject({
  version: z.literal(1),
  currency: z.literal('USD'),
  retrieved: z.iso.date(),
  note: z.string(),
  sources: z.record(z.string(), z.array(z.url())),
  regions: z.record(z.string(), regionPricesSchema),
});

export type RegionPrices = z.infer<typeof regionPricesSchema>;
export type PriceTable = z.infer<typeof priceTableSchema>;

/** The repository's price table, checked against its schema. */
export const priceTable: PriceTable = priceTableSchema.parse(table);

/** The prices of one region; throws for a region the table does not have. */
export function pricesFor(region: string, prices: PriceTable = priceTable): RegionPrices {
  const found = prices.regions[region];
  if (!found)
    throw new Error(
      `no prices for ${region} in shared/cost/prices.json (it has ${Object.keys(prices.regions).join(', ')})`,
    );
  return found;
}
