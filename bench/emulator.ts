import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { useEmulator } from '#local/cloud.ts';
import { startMoto } from '#local/moto.ts';

export interface BenchKms {
  readonly endpoint: string;
  readonly keyArn: string;
  /** Variables a child process needs to reach the same emulator. */
  readonly env: Record<string, string>;
  stop(): Promise<void>;
}

/** Starts moto, points this process at it and creates one KMS key for the transform runs. */
export async function startBenchKms(region = 'us-east-1'): Promise<BenchKms> {
  const moto = await startMoto();
  useEmulator(moto.endpoint, region);
  const key = await new KMSClient({}).send(new CreateKeyCommand({ Description: 'logvault bench' }));
  const keyArn = key.KeyMetadata?.Arn;
  if (!keyArn) throw new Error('moto returned no key ARN');
  const env = {
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  };
  return { endpoint: moto.endpoint, keyArn, env, stop: () => moto.stop() };
}
