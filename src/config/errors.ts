/**
 * A configuration that cannot be used. Carries every problem found, each already formatted for an
 * admin (`config/main.yaml: pbx.port: must be at most 65535 (got 70000)`), so a boundary can print
 * or log them one per line without knowing where they came from.
 */
export class ConfigError extends Error {
  readonly problems: string[];

  constructor(problems: string[]) {
    super(
      problems.length > 1
        ? `${problems.length} configuration problems:\n${problems.join('\n')}`
        : (problems[0] ?? 'invalid configuration'),
    );
    this.name = 'ConfigError';
    this.problems = problems;
  }
}
