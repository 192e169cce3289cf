// The application's root state: bridge, app info, open project, current run, data versions,
// and the correction/mapping actions every screen shares (each recorded for undo).
import type {
  ApiBridge,
  AppInfo,
  ClassListChange,
  ClassSummary,
  ClusterMapping,
  CorrectionChange,
  CorrectionEntry,
  DataArea,
  LabelImportParams,
  LabelImportReport,
  ProjectSummary,
  PushEvent,
  RecentProject,
  RunSummary,
} from '$contract/api.ts';
import type { ConnectionState } from '../bridge/index.ts';
import { WebSocketBridge } from '../bridge/index.ts';
import { checkClassName } from '$contract/class-name.ts';
import { errorMessage } from '../util/format.ts';
import { classOptions, type ClassOption } from './class-options.ts';
import { GridState } from './grid.svelte.ts';
import { HistoryState } from './history.svelte.ts';
import { JobsState } from './jobs.svelte.ts';
import { RouterState, type Route } from './router.svelte.ts';
import type { JobView } from './jobs.svelte.ts';
import { ToastsState } from './toasts.svelte.ts';

/** What accepting said when some of the images had nothing to accept. */
function acceptedSome(accepted: number, asked: number): string {
  const skipped = asked - accepted;
  return `Accepted ${accepted} of ${asked}: ${skipped} had no label to accept (an unnamed cluster) or a person's label already`;
}

/** Nearest neighbours "more like these" shows. */
const SIMILAR_LIMIT = 120;
const AREAS: DataArea[] = ['project', 'images', 'embeddings', 'runs', 'mapping', 'corrections', 'classes'];
const THEME_KEY = 'spice.theme';
const RUN_KEY = 'spice.run.';

export class AppState {
  /** The latest progress of a map being computed (the map screen shows it while it waits). */
  mapProgress: Extract<PushEvent, { type: 'map-progress' }> | null = $state.raw(null);
  readonly bridge: ApiBridge;
  readonly router = new RouterState();
  readonly jobs = new JobsState();
  readonly toasts = new ToastsState();
  readonly history: HistoryState;
  /** The cluster grid outlives its screen so the selection survives a visit to an image. */
  readonly grid = new GridState(() => this.bridge);

  connection: ConnectionState = $state('open');
  info: AppInfo | null = $state(null);
  project: ProjectSummary | null = $state(null);
  recent: RecentProject[] = $state([]);
  /** The run chosen in the top bar; null = the project's default run. */
  chosenRunId: number | null = $state(null);
  /** Bumped whenever the server says an area changed; screens reload what depends on it. */
  versions: Record<DataArea, number> = $state(Object.fromEntries(AREAS.map((a) => [a, 0])) as Record<DataArea, number>);
  classes: ClassSummary[] = $state([]);
  mapping: ClusterMapping | null = $state(null);
  theme: 'dark' | 'light' = $state('dark');
  helpOpen = $state(false);
  ready = $state(false);
  fatal: string | null = $state(null);

  readonly runs: RunSummary[] = $derived(this.project?.runs ?? []);
  readonly runId: number | null = $derived.by(() => {
    const chosen = this.chosenRunId;
    if (chosen !== null && this.runs.some((r) => r.id === chosen)) return chosen;
    return this.project?.defaultRunId ?? null;
  });
  readonly run: RunSummary | null = $derived(this.runs.find((r) => r.id === this.runId) ?? null);
  /** Class names in a stable order; the grid's 1…9 keys follow it. */
  readonly classNames: string[] = $derived(
    [...new Set([...this.classes.map((c) => c.name), ...(this.mapping?.clusters ?? []).flatMap((c) => (c.className ? [c.className] : []))])].sort((a, b) =>
      a.localeCompare(b),
    ),
  );
  /** Class hotkey (lower case, as stored) -> class name. */
  readonly hotkeys: ReadonlyMap<string, string> = $derived(new Map(this.classes.flatMap((c) => (c.hotkey ? [[c.hotkey, c.name] as const] : []))));
  readonly classOptions: ClassOption[] = $derived(classOptions(this.classNames, this.mapping, this.classes));
  /** Where Esc in the image view goes back to (the grid or the review queue it was opened from). */
  imageReturn: Route | null = $state(null);
  /** The grid an image was opened from (its ← and → step through it). */
  imageGrid: GridState | null = $state.raw(null);

  constructor(bridge: ApiBridge) {
    this.bridge = bridge;
    this.history = new HistoryState(
      () => this.bridge,
      (kind, label, direction) => {
        this.touch(kind === 'corrections' ? ['corrections', 'classes'] : kind === 'mapping' ? ['mapping', 'classes'] : ['classes', 'mapping', 'corrections']);
        this.toasts.push(`${direction === 'undo' ? 'Undone' : 'Redone'}: ${label}`);
      },
    );
    const saved = localStorage.getItem(THEME_KEY);
    this.theme = saved === 'light' || saved === 'dark' ? saved : matchMedia('(prefers-color-scheme: light)').matches ? 'light' : 'dark';
    this.applyTheme();
    this.jobs.onFinished = (job) => {
      const what = `${job.kind[0].toUpperCase()}${job.kind.slice(1)} job #${job.jobId}`;
      if (job.state === 'failed') this.toasts.error(`${what} failed: ${job.error ?? 'unknown error'}`);
      else if (job.state === 'cancelled') this.toasts.push(`${what} cancelled`);
      // Short jobs (an export) report through the action that started them.
      else if (job.state === 'done' && job.kind !== 'export' && job.kind !== 'classify') this.toasts.push(`${what} finished`, 'success');
      if (job.state === 'done' && (job.kind === 'cluster' || job.kind === 'pipeline')) void this.showRunsOf(job);
      else this.refreshProjectSoon();
    };
  }

  async init(): Promise<void> {
    this.bridge.subscribe((e) => this.onPush(e));
    if (this.bridge instanceof WebSocketBridge) {
      const ws = this.bridge;
      this.connection = ws.state;
      ws.onState((s) => {
        const wasLost = this.connection === 'reconnecting';
        this.connection = s;
        // Back after a drop: whatever changed meanwhile (a job's end, another tab's edits) is reloaded.
        if (s === 'open' && wasLost) void this.reloadAll().catch((err: unknown) => this.toasts.error(`Reloading after the reconnect failed: ${errorMessage(err)}`));
        else if (s === 'reconnecting') this.toasts.error('Lost the connection to the workbench server: reconnecting…');
        else if (s === 'restarted') this.toasts.error('The workbench server was restarted: open the address it printed again');
      });
    }
    try {
      await this.reloadAll();
    } catch (err) {
      this.fatal = errorMessage(err);
    }
    // A project opened with a finished run (the demo, `serve --project`, a reopened app) starts on its
    // clusters rather than the new-project form; an address that names a screen keeps it.
    if (this.router.unrouted && this.runs.some((r) => r.state === 'done')) this.router.replace('clusters');
    this.ready = true;
  }

  private async reloadAll(): Promise<void> {
    const [info, project, recent] = await Promise.all([
      this.bridge.call('app.info'),
      this.bridge.call('projects.current'),
      this.bridge.call('projects.recent').catch(() => [] as RecentProject[]),
    ]);
    this.info = info;
    this.recent = recent;
    this.setProject(project);
    if (project) {
      const jobs = await this.bridge.call('pipeline.jobs', { limit: 20 }).catch(() => []);
      this.jobs.seed(jobs);
    }
  }

  private onPush(e: PushEvent): void {
    switch (e.type) {
      case 'job':
        this.jobs.apply(e.event);
        break;
      case 'project':
        this.setProject(e.summary);
        break;
      case 'changed':
        this.touch(e.areas);
        if (e.areas.some((a) => a !== 'classes' && a !== 'embeddings')) this.refreshProjectSoon();
        break;
      case 'map-progress':
        this.mapProgress = e;
        break;
    }
  }

  setProject(summary: ProjectSummary | null): void {
    const changed = summary?.dir !== this.project?.dir;
    this.project = summary;
    if (changed) {
      this.history.clear();
      this.jobs.clear();
      const saved = summary ? Number(localStorage.getItem(RUN_KEY + summary.dir)) : NaN;
      this.chosenRunId = Number.isFinite(saved) && saved > 0 ? saved : null;
      if (summary) this.jobs.seed(summary.runningJobs);
    }
    if (summary) void this.loadClasses();
    else {
      this.classes = [];
      this.mapping = null;
    }
  }

  chooseRun(runId: number): void {
    this.chosenRunId = runId;
    if (this.project) localStorage.setItem(RUN_KEY + this.project.dir, String(runId));
    this.touch(['mapping']);
  }

  async refreshProject(): Promise<void> {
    try {
      this.setProject(await this.bridge.call('projects.current'));
    } catch (err) {
      this.toasts.error(`Could not refresh the project: ${errorMessage(err)}`);
    }
  }

  private refreshTimer: ReturnType<typeof setTimeout> | null = null;

  /** Coalesces the refreshes a burst of changes asks for (a batch of corrections, a job's end). */
  refreshProjectSoon(delayMs = 150): void {
    if (this.refreshTimer !== null) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = null;
      if (this.project) void this.refreshProject();
    }, delayMs);
  }

  /** After a clustering job (a refine, a re-run): the app shows the run it made. */
  private async showRunsOf(job: JobView): Promise<void> {
    await this.refreshProject();
    // Runs the job created; a second of slack for the clocks of the two processes.
    const made = this.runs.filter((r) => r.state === 'done' && r.createdAt >= job.startedAt - 1000);
    if (made.length === 0) return;
    const next = made.find((r) => r.id === this.project?.defaultRunId) ?? made.reduce((a, b) => (b.id > a.id ? b : a));
    if (next.id === this.runId) return;
    this.chooseRun(next.id);
    this.toasts.push(`Now showing run #${next.id} (${next.method})`, 'success');
  }

  async refreshRecent(): Promise<void> {
    this.recent = await this.bridge.call('projects.recent').catch(() => this.recent);
  }

  /** Reloads class list and the current run's cluster names (pickers and badges use them). */
  async loadClasses(): Promise<void> {
    const runId = this.runId;
    try {
      const [classes, mapping] = await Promise.all([
        this.bridge.call('labels.classes', runId !== null ? { runId } : undefined),
        runId !== null ? this.bridge.call('mapping.get', { runId }) : Promise.resolve(null),
      ]);
      this.classes = classes;
      this.mapping = mapping;
    } catch (err) {
      if (this.project) this.toasts.error(`Could not load classes: ${errorMessage(err)}`);
    }
  }

  touch(areas: DataArea[]): void {
    for (const a of areas) this.versions[a]++;
    if (areas.includes('corrections') || areas.includes('mapping')) this.refreshProjectSoon();
    if (areas.includes('mapping') || areas.includes('classes') || areas.includes('corrections')) void this.loadClasses();
  }

  clusterName(cluster: number): string | null {
    return this.mapping?.clusters.find((c) => c.cluster === cluster)?.className ?? null;
  }

  // ------------------------------------------------------------ corrections and names

  /** The trimmed class name, or null after saying why it is not one (the contract's rule). */
  usableClassName(raw: string): string | null {
    const checked = checkClassName(raw);
    if (checked.ok) return checked.name;
    this.toasts.error(`${checked.problem[0].toUpperCase()}${checked.problem.slice(1)}`);
    return null;
  }

  async moveImages(imageIds: number[], className: string): Promise<boolean> {
    if (imageIds.length === 0 || !className.trim()) return false;
    const name = this.usableClassName(className);
    if (name === null) return false;
    try {
      const res = await this.bridge.call('corrections.move', { imageIds, className: name });
      const label = `move ${imageIds.length} image${imageIds.length === 1 ? '' : 's'} to ${name}`;
      this.history.record({ kind: 'corrections', label, entries: res.previous });
      this.touch(['corrections', 'classes']);
      this.toasts.push(`Moved ${imageIds.length} image${imageIds.length === 1 ? '' : 's'} to “${name}”`, 'success', {
        label: 'Undo',
        run: () => void this.undo(),
      });
      return true;
    } catch (err) {
      this.toasts.error(`Move failed: ${errorMessage(err)}`);
      return false;
    }
  }

  async markOutliers(imageIds: number[]): Promise<boolean> {
    if (imageIds.length === 0) return false;
    try {
      const res = await this.bridge.call('corrections.markOutlier', { imageIds });
      const label = `mark ${imageIds.length} image${imageIds.length === 1 ? '' : 's'} as outlier`;
      this.history.record({ kind: 'corrections', label, entries: res.previous });
      this.touch(['corrections', 'classes']);
      this.toasts.push(`Marked ${imageIds.length} as outlier${imageIds.length === 1 ? '' : 's'}`, 'success', {
        label: 'Undo',
        run: () => void this.undo(),
      });
      return true;
    } catch (err) {
      this.toasts.error(`Marking outliers failed: ${errorMessage(err)}`);
      return false;
    }
  }

  async clearCorrections(imageIds: number[]): Promise<boolean> {
    if (imageIds.length === 0) return false;
    try {
      const res = await this.bridge.call('corrections.clear', { imageIds });
      this.history.record({ kind: 'corrections', label: `reset ${imageIds.length} image${imageIds.length === 1 ? '' : 's'}`, entries: res.previous });
      this.touch(['corrections', 'classes']);
      return true;
    } catch (err) {
      this.toasts.error(`Reset failed: ${errorMessage(err)}`);
      return false;
    }
  }

  async nameClusters(clusters: number[], className: string | null): Promise<boolean> {
    const runId = this.runId;
    if (runId === null || clusters.length === 0) return false;
    const name = className?.trim() ? this.usableClassName(className) : null;
    if (className?.trim() && name === null) return false;
    try {
      const res =
        clusters.length === 1
          ? await this.bridge.call('mapping.setClusterName', { runId, cluster: clusters[0], className: name })
          : await this.bridge.call('mapping.setMany', { runId, clusters, className: name });
      const what = clusters.length === 1 ? `cluster ${clusters[0]}` : `${clusters.length} clusters`;
      this.history.record({ kind: 'mapping', label: name ? `name ${what} “${name}”` : `unname ${what}`, runId, entries: res.previous });
      this.touch(['mapping', 'classes']);
      return true;
    } catch (err) {
      this.toasts.error(`Naming failed: ${errorMessage(err)}`);
      return false;
    }
  }

  /** The person confirms the labels these images show (they become person labels, origin 'accepted'). */
  async acceptImages(imageIds: number[], what = `${imageIds.length} image${imageIds.length === 1 ? '' : 's'}`): Promise<boolean> {
    const runId = this.runId;
    if (runId === null || imageIds.length === 0) return false;
    return this.recordCorrections(
      `accept ${what}`,
      (n) => (n === imageIds.length ? `Accepted ${what}` : acceptedSome(n, imageIds.length)),
      'Accept',
      () => this.bridge.call('labels.accept', { runId, imageIds }),
    );
  }

  /** Accepts every image of a named cluster that has no person label yet. */
  async acceptRest(cluster: number): Promise<boolean> {
    const runId = this.runId;
    if (runId === null) return false;
    if (!this.clusterName(cluster)) {
      this.toasts.error(`Name cluster ${cluster} first: accepting confirms the name it shows`);
      return false;
    }
    return this.recordCorrections(
      `accept the rest of cluster ${cluster}`,
      (n) =>
        n === 0 ? `Nothing left to accept in cluster ${cluster}` : `Accepted the other ${n.toLocaleString('en-US')} image${n === 1 ? '' : 's'} of cluster ${cluster}`,
      'Accept',
      () => this.bridge.call('labels.acceptRest', { runId, cluster }),
    );
  }

  /** Imports person labels; the import is one undoable step. Resolves the report, or null when it failed. */
  async importLabels(params: LabelImportParams): Promise<LabelImportReport | null> {
    try {
      const report = await this.bridge.call('labels.import', params);
      this.history.record({ kind: 'corrections', label: `import ${report.labelled} labels`, entries: report.change.previous });
      this.touch(['corrections', 'classes']);
      return report;
    } catch (err) {
      this.toasts.error(`Import failed: ${errorMessage(err)}`);
      return null;
    }
  }

  /** "More like these": the nearest neighbours of these images open as a grid, nearest first. */
  async openSimilar(imageIds: number[], hideReviewed: boolean): Promise<void> {
    const runId = this.runId;
    if (runId === null || imageIds.length === 0) return;
    try {
      const res = await this.bridge.call('review.similar', { runId, imageIds, limit: SIMILAR_LIMIT, hideReviewed });
      if (res.items.length === 0) {
        this.toasts.push('No other images like these');
        return;
      }
      const what = imageIds.length === 1 ? `#${imageIds[0]}` : `${imageIds.length.toLocaleString('en-US')} images`;
      this.grid.openSet({ id: Date.now(), title: `More like ${what}`, ids: res.items.map((r) => r.imageId), ordered: true });
      this.router.go('grid', { set: 1 });
    } catch (err) {
      this.toasts.error(`More like these failed: ${errorMessage(err)}`);
    }
  }

  /** Puts person labels back as they were (e.g. undoing an import from its report), itself undoable. */
  async restoreCorrections(entries: CorrectionEntry[], label: string): Promise<boolean> {
    return this.recordCorrections(
      label,
      () => `Done: ${label}`,
      'Restore',
      () => this.bridge.call('corrections.restore', { entries }),
    );
  }

  /** A class-list change (create, rename, merge, delete, hotkey), recorded for undo. */
  async changeClasses(label: string, call: () => Promise<ClassListChange>): Promise<boolean> {
    try {
      const res = await call();
      this.history.record({ kind: 'classes', label, snapshot: res.previous });
      this.touch(['classes', 'mapping', 'corrections']);
      return true;
    } catch (err) {
      this.toasts.error(`${label[0].toUpperCase()}${label.slice(1)} failed: ${errorMessage(err)}`);
      return false;
    }
  }

  /** Runs a person-label change, records it for undo and says what it did (`toast` of the number of images changed). */
  private async recordCorrections(label: string, toast: (changed: number) => string, verb: string, call: () => Promise<CorrectionChange>): Promise<boolean> {
    try {
      const res = await call();
      this.history.record({ kind: 'corrections', label, entries: res.previous });
      this.touch(['corrections', 'classes']);
      const n = res.previous.length;
      if (n === 0) this.toasts.push(toast(0));
      else this.toasts.push(toast(n), 'success', { label: 'Undo', run: () => void this.undo() });
      return true;
    } catch (err) {
      this.toasts.error(`${verb} failed: ${errorMessage(err)}`);
      return false;
    }
  }

  async undo(): Promise<void> {
    try {
      await this.history.undo();
    } catch (err) {
      this.toasts.error(`Undo failed: ${errorMessage(err)}`);
    }
  }

  async redo(): Promise<void> {
    try {
      await this.history.redo();
    } catch (err) {
      this.toasts.error(`Redo failed: ${errorMessage(err)}`);
    }
  }

  // ------------------------------------------------------------ appearance

  toggleTheme(): void {
    this.theme = this.theme === 'dark' ? 'light' : 'dark';
    localStorage.setItem(THEME_KEY, this.theme);
    this.applyTheme();
  }

  private applyTheme(): void {
    document.documentElement.dataset.theme = this.theme;
  }

  thumbUrl = (imageId: number): string => this.bridge.imageUrl(imageId, 'thumb');
  fullUrl = (imageId: number): string => this.bridge.imageUrl(imageId, 'full');
}
