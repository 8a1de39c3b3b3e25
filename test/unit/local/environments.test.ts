import { describe, expect, it } from 'vitest';
import { splitEnvironments } from '#local/functions.ts';

describe('splitEnvironments', () => {
  it('shares what every function agrees on and keeps apart what they do not', () => {
    const { shared, distinct } = splitEnvironments([
      { STAGE: 'local', INGEST_BUCKET: 'in', DEAD_LETTER_QUEUE_URL: 'http://q/ingest-dlq' },
      {
        STAGE: 'local',
        INGEST_BUCKET: 'in',
        DEAD_LETTER_QUEUE_URL: 'http://q/archive-dlq',
        ARCHIVE_BUCKET: 'out',
      },
      { STAGE: 'local', SWEEP_QUEUE_URL: 'http://q/sweep' },
    ]);
    expect(shared).toEqual({
      STAGE: 'local',
      INGEST_BUCKET: 'in',
      ARCHIVE_BUCKET: 'out',
      SWEEP_QUEUE_URL: 'http://q/sweep',
    });
    expect([...distinct]).toEqual(['DEAD_LETTER_QUEUE_URL']);
  });

  it('keeps a variable apart once any two functions differ on it, whatever the order', () => {
    const { shared, distinct } = splitEnvironments([{ X: 'a' }, { X: 'a' }, { X: 'b' }, { X: 'a' }]);
    expect(shared).toEqual({});
    expect([...distinct]).toEqual(['X']);
  });
});
