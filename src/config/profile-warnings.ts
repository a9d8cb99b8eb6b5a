import { formatNote, valueAt } from './format-problem.ts';
import { API_TOKEN_RETIRING } from './schema-zendesk.ts';

/** Settings that work today but need the admin's attention; read from the raw file so they show even beside errors. */
export function profileWarnings(file: string, raw: unknown): string[] {
  const warnings: string[] = [];
  if (valueAt(raw, ['zendesk', 'auth', 'type']) === 'apiToken') {
    warnings.push(formatNote(file, ['zendesk', 'auth', 'type'], API_TOKEN_RETIRING));
  }
  const url = valueAt(raw, ['zendesk', 'url']);
  if (
    valueAt(raw, ['zendesk', 'allowInsecureHttp']) === true &&
    typeof url === 'string' &&
    /^http:/i.test(url)
  ) {
    warnings.push(
      formatNote(
        file,
        ['zendesk', 'url'],
        'plain http:// sends the Zendesk credentials unencrypted; use it only with the simulator',
      ),
    );
  }
  const listen = valueAt(raw, ['operations', 'address']);
  if (typeof listen === 'string' && !/^(127\.\d+\.\d+\.\d+|::1)$/.test(listen)) {
    warnings.push(
      formatNote(
        file,
        ['operations', 'address'],
        'the health, metrics and status listener has no authentication: keep it behind a firewall that lets only the monitoring host in',
      ),
    );
  }
  return warnings;
}
