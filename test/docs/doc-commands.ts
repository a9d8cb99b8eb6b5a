/** What the docs tests read out of Markdown: shell commands, an ini section, a table's first column. */

export interface DocCommand {
  /** The document, relative to the repository (`docs/admin.md`). */
  file: string;
  /** 1-based line where the command starts. */
  line: number;
  /** The command as a shell reads it: continuation lines joined, the trailing comment removed. */
  text: string;
}

/** Every command of the ```sh blocks, in order. Blank lines and comment lines are not commands. */
export function shCommands(file: string, markdown: string): DocCommand[] {
  const commands: DocCommand[] = [];
  let inSh = false;
  let pending: { line: number; text: string } | undefined;
  for (const [index, line] of markdown.split('\n').entries()) {
    if (/^```/.test(line)) {
      inSh = !inSh && /^```sh\s*$/.test(line);
      pending = undefined;
      continue;
    }
    if (!inSh) continue;
    const start = pending ?? { line: index + 1, text: '' };
    const joined = pending ? `${pending.text} ${line.trim()}` : line;
    if (/\\\s*$/.test(joined)) {
      pending = { line: start.line, text: joined.replace(/\\\s*$/, '').trimEnd() };
      continue;
    }
    pending = undefined;
    const text = withoutComment(joined).trim();
    if (text !== '') commands.push({ file, line: start.line, text });
  }
  return commands;
}

/** The line without a trailing `# comment`: a `#` after a blank, outside quotes. */
export function withoutComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"') i++;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]!))) return line.slice(0, i);
  }
  return line;
}

/** `key = value` pairs of `[section]` in the ```ini blocks (values without `; comments`). */
export function iniSection(markdown: string, section: string): Record<string, string> {
  const values: Record<string, string> = {};
  let inIni = false;
  let current = '';
  for (const line of markdown.split('\n')) {
    if (/^```/.test(line)) {
      inIni = !inIni && /^```ini\s*$/.test(line);
      continue;
    }
    if (!inIni) continue;
    const header = /^\s*\[([^\]]+)\]/.exec(line);
    if (header) current = header[1]!;
    const pair = /^\s*([\w-]+)\s*=\s*([^;]*?)\s*(;.*)?$/.exec(line);
    if (pair && current === section) values[pair[1]!] = pair[2]!;
  }
  return values;
}

/** The backticked text of the first column of every row of the first table under `heading`. */
export function tableFirstColumn(markdown: string, heading: string): string[] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => l.trim() === heading);
  if (start === -1) return [];
  const cells: string[] = [];
  let seenTable = false;
  for (const line of lines.slice(start + 1)) {
    if (/^#{1,6} /.test(line)) break;
    if (!line.startsWith('|')) {
      if (seenTable) break;
      continue;
    }
    seenTable = true;
    const first = line.split('|')[1]?.trim() ?? '';
    const code = /^`([^`]+)`$/.exec(first);
    if (code) cells.push(code[1]!);
  }
  return cells;
}
