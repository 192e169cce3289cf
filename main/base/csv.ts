// CSV as RFC 4180 writes it: comma-separated, fields with a comma, quote or line break in double quotes,
// quotes doubled. One reader and one writer for every CSV the product reads or writes.

/** Quotes a field when it must be quoted. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export interface CsvRecord {
  /** 1-based line where the record starts. */
  line: number;
  fields: string[];
}

export class CsvSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
    this.name = 'CsvSyntaxError';
  }
}

/**
 * Parses CSV text into records (a UTF-8 byte-order mark and blank lines are skipped; CRLF and LF both
 * end a record). An unterminated quoted field is a syntax error naming its line.
 */
export function parseCsv(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  while (i < text.length) {
    const start = line;
    const fields: string[] = [];
    let field = '';
    let quoted = false;
    let atFieldStart = true;
    let ended = false;
    while (i < text.length && !ended) {
      const ch = text[i];
      if (quoted) {
        if (ch === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
          } else {
            quoted = false;
            i++;
          }
        } else {
          if (ch === '\n') line++;
          field += ch;
          i++;
        }
      } else if (ch === '"' && atFieldStart) {
        quoted = true;
        atFieldStart = false;
        i++;
      } else if (ch === ',') {
        fields.push(field);
        field = '';
        atFieldStart = true;
        i++;
      } else if (ch === '\r' || ch === '\n') {
        i += ch === '\r' && text[i + 1] === '\n' ? 2 : 1;
        line++;
        ended = true;
      } else {
        field += ch;
        atFieldStart = false;
        i++;
      }
    }
    if (quoted) throw new CsvSyntaxError('a quoted field is not closed', start);
    fields.push(field);
    if (!(fields.length === 1 && fields[0] === '')) records.push({ line: start, fields });
  }
  return records;
}
