// CSV as RFC 4180 writes it: comma-separated, fields with a comma, quote or line break in double quotes,
// quotes doubled; a cell a spreadsheet would run as a formula is neutralised. One reader and one writer
// for every CSV the product reads or writes.

/**
 * A text cell put behind one more single quote when written: one a spreadsheet would run as a formula (it
 * starts with =, +, -, @, a tab or a carriage return), and one that already starts with single quotes
 * before such a character, so that parseCsv, which takes one quote off, gives back what was written.
 */
const NEEDS_QUOTE_MARK = /^'*[=+\-@\t\r]/;
/** Such a cell as written: behind a single quote, which spreadsheets show as text (OWASP's advice). */
const NEUTRALISED = /^'+[=+\-@\t\r]/;

/**
 * One text field as written: a value a spreadsheet would run as a formula is put behind a single quote
 * (parseCsv takes it off again), then quoted when it holds a comma, quote or line break.
 */
export function csvField(value: string): string {
  const safe = NEEDS_QUOTE_MARK.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** A cell: text, a number, or nothing (an empty field). */
export type CsvCell = string | number | null;

/**
 * One record, without its line end. Text goes through csvField; a number is written as JavaScript
 * prints it and never neutralised (a negative number stays a number, and a spreadsheet cannot run it).
 */
export function csvRecord(cells: readonly CsvCell[]): string {
  return cells.map((c) => (c === null ? '' : typeof c === 'number' ? String(c) : csvField(c))).join(',');
}

/** Whole CSV text: the records one a line, each ended by LF. */
export function csvText(records: readonly (readonly CsvCell[])[]): string {
  return records.map((r) => `${csvRecord(r)}\n`).join('');
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
    if (!(fields.length === 1 && fields[0] === '')) records.push({ line: start, fields: fields.map((f) => (NEUTRALISED.test(f) ? f.slice(1) : f)) });
  }
  return records;
}
