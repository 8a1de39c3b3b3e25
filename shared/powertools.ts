import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

/** JSON logger; service name and level come from POWERTOOLS_* variables. */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'logvault' });

/** CloudWatch EMF metrics, flushed by the middy middleware after each invocation. */
export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'logvault',
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'logvault',
});
