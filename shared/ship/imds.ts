import { request } from 'node:http';

function call(url: string, method: string, headers: Record<string, string>): Promise<string> {
  return new Promise((done, fail) => {
    const req = request(url, { method, headers, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => {
        body += d.toString();
      });
      res.on('end', () =>
        res.statusCode === 200 ? done(body) : fail(new Error(`${method} ${url}: HTTP ${res.statusCode}`)),
      );
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url}: timed out`)));
    req.on('error', fail);
    req.end();
  });
}

/** The instance's id from IMDSv2 (a session token first, then the id), tried three times. */
export async function imdsInstanceId(endpoint: string): Promise<string> {
  let last: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const token = await call(`${endpoint}/latest/api/token`, 'PUT', {
        'X-aws-ec2-metadata-token-ttl-seconds': '300',
      });
      return (
        await call(`${endpoint}/latest/meta-data/instance-id`, 'GET', { 'X-aws-ec2-metadata-token': token })
      ).trim();
    } catch (error) {
      last = error;
      await new Promise((r) => setTimeout(r, 500 * (attempt + 1)));
    }
  }
  throw last;
}
