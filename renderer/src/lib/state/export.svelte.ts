// The export screen: labels as CSV/JSON (downloaded as a file), or images copied into class folders.
import type { FoldersExport, LabelsExport } from '$contract/api.ts';
import type { AppState } from './app.svelte.ts';
import { errorMessage } from '../util/format.ts';

export class ExportState {
  busy: 'csv' | 'json' | 'folders' | null = $state(null);
  last: LabelsExport | null = $state.raw(null);
  folders: FoldersExport | null = $state(null);
  error: string | null = $state(null);
  folderMode: 'copy' | 'link' = $state('copy');

  /** First lines of the last export, for a preview. */
  readonly preview = $derived(this.last ? this.last.content.split('\n').slice(0, 12).join('\n') : '');

  constructor(private readonly app: AppState) {}

  async labels(format: 'csv' | 'json'): Promise<void> {
    const runId = this.app.runId;
    if (runId === null || this.busy) return;
    this.busy = format;
    this.error = null;
    try {
      const res = await this.app.bridge.call('export.labels', { runId, format });
      this.last = res;
      download(res.fileName, res.mime, res.content);
      this.app.toasts.push(`Exported ${res.rows} rows to ${res.fileName}`, 'success');
    } catch (err) {
      this.error = errorMessage(err);
    } finally {
      this.busy = null;
    }
  }

  async toFolders(): Promise<void> {
    const runId = this.app.runId;
    if (runId === null || this.busy) return;
    this.busy = 'folders';
    this.error = null;
    try {
      const res = await this.app.bridge.call('export.folders', { runId, mode: this.folderMode });
      if (res) {
        this.folders = res;
        this.app.toasts.push(`Wrote ${res.files} files into ${res.folders.length} folder${res.folders.length === 1 ? '' : 's'}: ${res.folders.join(', ')}`, 'success');
      }
    } catch (err) {
      this.error = errorMessage(err);
    } finally {
      this.busy = null;
    }
  }
}

/** Saves text as a file through the browser's download (works in Electron too). */
function download(fileName: string, mime: string, content: string): void {
  const url = URL.createObjectURL(new Blob([content], { type: mime }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
