// The projects screen's form: folder fields with validation, create / open, recent projects.
import type { AppState } from './app.svelte.ts';
import { isBridgeError } from '../bridge/index.ts';
import { errorMessage } from '../util/format.ts';
import { is } from 'valibot';
import { absolutePath, isAbsolutePath } from '$contract/checks.ts';

/** A path the main process can use without guessing: the contract's absolute path, on POSIX or Windows. */
export function validateFolder(value: string, required: boolean): string | null {
  const v = value.trim();
  if (!v) return required ? 'Required' : null;
  if (!isAbsolutePath(v)) return 'Use an absolute path (e.g. /home/me/project)';
  if (!is(absolutePath(), v)) return 'Contains an invalid character, or is too long';
  return null;
}

export class ProjectsForm {
  mode: 'create' | 'open' = $state('create');
  projectDir = $state('');
  imageFolder = $state('');
  labelsFromFolders = $state(false);
  touched = $state({ projectDir: false, imageFolder: false });
  busy = $state(false);
  /** An error from the main process, shown under the field it concerns or at the form's foot. */
  serverError: { field: 'projectDir' | 'imageFolder' | null; message: string } | null = $state(null);

  readonly projectDirError = $derived(validateFolder(this.projectDir, true));
  readonly imageFolderError = $derived(this.mode === 'create' ? validateFolder(this.imageFolder, false) : null);
  readonly valid = $derived(!this.projectDirError && !this.imageFolderError);

  constructor(private readonly app: AppState) {}

  async browse(field: 'projectDir' | 'imageFolder'): Promise<void> {
    try {
      const res = await this.app.bridge.call('app.chooseFolder', {
        title: field === 'projectDir' ? 'Project folder' : 'Image folder',
        defaultPath: this[field] || undefined,
      });
      if (res.dir) {
        this[field] = res.dir;
        this.touched[field] = true;
      }
    } catch (err) {
      this.app.toasts.error(errorMessage(err));
    }
  }

  async submit(): Promise<boolean> {
    this.touched = { projectDir: true, imageFolder: true };
    this.serverError = null;
    if (!this.valid || this.busy) return false;
    this.busy = true;
    try {
      if (this.mode === 'create') {
        const res = await this.app.bridge.call('projects.create', {
          dir: this.projectDir.trim(),
          ...(this.imageFolder.trim() ? { imageFolder: this.imageFolder.trim(), labelsFromFolders: this.labelsFromFolders } : {}),
        });
        this.app.setProject(res.project);
        this.app.toasts.push(`Project created${res.importJobId !== null ? '; importing images…' : ''}`, 'success');
      } else {
        this.app.setProject(await this.app.bridge.call('projects.open', { dir: this.projectDir.trim() }));
      }
      await this.app.refreshRecent();
      return true;
    } catch (err) {
      const message = errorMessage(err);
      const field = /image/i.test(message) && this.mode === 'create' ? 'imageFolder' : isBridgeError(err, 'internal') ? null : 'projectDir';
      this.serverError = { field, message };
      return false;
    } finally {
      this.busy = false;
    }
  }

  async openRecent(dir: string): Promise<boolean> {
    this.busy = true;
    try {
      this.app.setProject(await this.app.bridge.call('projects.open', { dir }));
      await this.app.refreshRecent();
      return true;
    } catch (err) {
      this.app.toasts.error(`Could not open ${dir}: ${errorMessage(err)}`);
      return false;
    } finally {
      this.busy = false;
    }
  }

  async close(): Promise<void> {
    await this.app.bridge.call('projects.close');
    this.app.setProject(null);
    await this.app.refreshRecent();
  }
}
