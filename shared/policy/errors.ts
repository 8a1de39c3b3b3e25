/** One problem in a policy file: the JSON path of the offending field and the rule it breaks. */
export interface PolicyIssue {
  /** JSON path such as `policies[2].retention.days`; empty for the document itself. */
  readonly path: string;
  readonly rule: string;
}

/** Formats one issue the way it appears in error messages: `path: rule`. */
export function formatIssue(issue: PolicyIssue): string {
  return issue.path ? `${issue.path}: ${issue.rule}` : issue.rule;
}

/**
 * The policy file is malformed or unsafe. The message lists every issue found (`path: rule`, joined
 * by `; `), prefixed with the file name when the policies were read from a file, so one failed
 * deploy shows everything that needs fixing rather than one problem per attempt.
 */
export class PolicyConfigError extends Error {
  override readonly name = 'PolicyConfigError';
  readonly issues: readonly PolicyIssue[];
  readonly file: string | undefined;

  constructor(issues: readonly PolicyIssue[], options?: ErrorOptions & { file?: string }) {
    const body = issues.map(formatIssue).join('; ');
    super(options?.file ? `${options.file}: ${body}` : body, options);
    this.issues = Object.freeze([...issues]);
    this.file = options?.file;
  }
}
