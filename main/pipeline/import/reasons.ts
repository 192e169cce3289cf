/** Machine-readable reasons stored in import_errors.reason; the detail column carries the human text. */
export type ImportErrorReason =
  'empty file' | 'not an image' | 'unsupported format' | 'truncated' | 'corrupt' | 'too many pixels' | 'unreadable' | 'symlink loop' | 'duplicate folder' | 'duplicate';

/** A file (or folder) that cannot be imported; the import records it and goes on. */
export class ImportFailure extends Error {
  constructor(
    readonly reason: ImportErrorReason,
    readonly detail: string,
  ) {
    super(`${reason}: ${detail}`);
    this.name = 'ImportFailure';
  }
}

const MAX_DETAIL_CHARS = 300;

/** libvips messages can repeat one line dozens of times; keep the distinct lines, shortened. */
export function shortenDetail(message: string): string {
  const lines = [
    ...new Set(
      message
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean),
    ),
  ];
  const text = lines.join('; ');
  return text.length > MAX_DETAIL_CHARS ? `${text.slice(0, MAX_DETAIL_CHARS - 1)}…` : text;
}

/** Reason for a file-system error met while reading a file or folder. */
export function failureFromFsError(err: unknown): ImportFailure {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ELOOP') return new ImportFailure('symlink loop', 'too many levels of symbolic links');
  const what: Record<string, string> = {
    ENOENT: 'file disappeared or is a broken symbolic link',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EISDIR: 'is a folder',
    EIO: 'input/output error',
  };
  const text = (e.code && what[e.code]) ?? e.message ?? String(err);
  return new ImportFailure('unreadable', e.code ? `${text} (${e.code})` : text);
}
