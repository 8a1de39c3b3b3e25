import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

/** JSON logger; service name and level come from POWERTOOLS_* variables. */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'logvault' });

const EMPTY_METRICS_WARNING = 'No application metrics to publish';

/**
 * Where the metrics utility's own messages go. An invocation that adds no metric (an API read, an
 * empty batch) is normal here, and Powertools warns about each one in plain text; that warning is
 * kept at debug level, and every other message of the utility reaches the JSON logger as is.
 */
const text = (content: unknown[]) => content.map(String).join(' ');
const metricsLogger = {
  debug: (...content: unknown[]) => logger.debug(text(content)),
  info: (...content: unknown[]) => logger.info(text(content)),
  warn: (...content: unknown[]) =>
    text(content).startsWith(EMPTY_METRICS_WARNING)
      ? logger.debug(text(content))
      : logger.warn(text(content)),
  error: (...content: unknown[]) => logger.error(text(content)),
};

/** CloudWatch EMF metrics, flushed by the middy middleware after each invocation. */
export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'logvault',
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'logvault',
  logger: metricsLogger,
});
