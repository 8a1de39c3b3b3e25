/** The provisioning API's request fields, by the flag of `logvault provision` that sets each. */
const FLAG_OF_FIELD: Readonly<Record<string, string>> = {
  name: '--name',
  instanceType: '--type',
  backupFrequency: '--every',
  count: '--count',
  policy: '--policy',
  imageId: '--image',
  subnetId: '--subnet',
  securityGroupIds: '--security-group',
  logPaths: '--log-path',
  tags: '--tag',
  'Idempotency-Key': '--idempotency-key',
  body: 'the request',
};

const ordinal = (n: number) => {
  const suffix = n % 100 >= 11 && n % 100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
};

/**
 * The flag a person typed for a field the API names: `backupFrequency` is `--every`,
 * `logPaths.1` the 2nd `--log-path`, `tags.team` `--tag team=…`. Unknown fields stay as they are.
 */
export function flagForField(field: string, sent: Record<string, unknown> = {}): string {
  const [head = '', ...rest] = field.split('.');
  const flag = FLAG_OF_FIELD[head];
  if (!flag) return field;
  if (rest.length === 0) return flag;
  if (head === 'tags') return `${flag} ${rest.join('.')}=…`;
  const index = Number(rest[0]);
  if (!Number.isInteger(index)) return flag;
  const value = (sent[head] as unknown[] | undefined)?.[index];
  return typeof value === 'string'
    ? `${flag} ${JSON.stringify(value)}`
    : `${flag} (the ${ordinal(index + 1)} one)`;
}

const TYPE_NAMES: Readonly<Record<string, string>> = {
  int: 'a whole number',
  number: 'a number',
  string: 'text',
  array: 'a list',
  object: 'KEY=VALUE pairs',
  boolean: 'true or false',
};

const REWORDINGS: readonly [RegExp, (...groups: string[]) => string][] = [
  [/^Too small: expected number to be >=(\S+)$/, (n) => `must be at least ${n}`],
  [/^Too small: expected number to be >(\S+)$/, (n) => `must be more than ${n}`],
  [/^Too big: expected number to be <=(\S+)$/, (n) => `must be at most ${n}`],
  [/^Too big: expected number to be <(\S+)$/, (n) => `must be less than ${n}`],
  [/^Too small: expected array to have >=(\d+) items?$/, (n) => `must be given at least ${n} time(s)`],
  [/^Too big: expected array to have <=(\d+) items?$/, (n) => `may be given at most ${n} time(s)`],
  [/^Too small: expected string to have >=(\d+) characters?$/, (n) => `must be at least ${n} character(s)`],
  [/^Too big: expected string to have <=(\d+) characters?$/, (n) => `must be at most ${n} characters`],
  [/^Invalid input: expected \w+, received undefined$/, () => 'is required'],
  [
    /^Invalid input: expected (\w+), received (\w+)$/,
    (want, got) => `must be ${TYPE_NAMES[want] ?? want}, not ${TYPE_NAMES[got] ?? got}`,
  ],
  [/^unknown field$/, () => 'is not something logvault provision can set'],
  [
    /^Invalid key in record$/,
    () => 'is not a tag key logvault accepts (aws: and logvault: keys are reserved; --name sets Name)',
  ],
];

/** A validation message in words: zod's generic `Too small: expected number to be >=1` becomes `must be at least 1`. */
export function plainIssue(message: string): string {
  for (const [pattern, reword] of REWORDINGS) {
    const m = pattern.exec(message);
    if (m) return reword(...m.slice(1));
  }
  return message;
}
