import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildShipperBundle, REGENERATE, renderBundleModule, SHIPPER_MODULE } from '#local/build-shipper.ts';
import { SHIPPER_BUNDLE } from '#shared/provision/shipper-bundle.ts';

describe('SHIPPER_BUNDLE', () => {
  it('is the bundle of shared/ship/instance-main.ts as it is now', async () => {
    const js = await buildShipperBundle();
    if (process.env.LOGVAULT_UPDATE_SHIPPER === '1') writeFileSync(SHIPPER_MODULE, renderBundleModule(js));
    // The module is exactly what the generator writes, so the check cannot pass by hand-editing.
    expect(
      readFileSync(SHIPPER_MODULE, 'utf8') === renderBundleModule(js),
      `shipper-bundle.ts is stale: ${REGENERATE}`,
    ).toBe(true);
    // And what this run imported is that module (true after regenerating, on the next run).
    if (process.env.LOGVAULT_UPDATE_SHIPPER !== '1') expect(SHIPPER_BUNDLE === js).toBe(true);
  });

  it('carries no credentials and no endpoint, leaving both to the AWS CLI', () => {
    expect(SHIPPER_BUNDLE).not.toMatch(
      /AWS_SECRET_ACCESS_KEY|AWS_ACCESS_KEY_ID|AWS_SESSION_TOKEN|--endpoint-url|amazonaws\.com/,
    );
  });
});
