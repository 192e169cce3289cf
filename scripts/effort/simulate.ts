// A simulated person labelling a project through the service contract the app uses (every call goes
// through Services.dispatch, validated like a call from the window). The person knows the true class
// of every image (the folder labels) and pays one action per step the app would need:
//   - naming a cluster after the images the clusters overview shows first for it: 1 action;
//   - each image shown in the review queue with a wrong label: 1 action (a move);
//   - the images of a batch that show the right label: 1 action together (accept);
//   - seed labels the person already has are imported for free (they exist before the work starts).
// The refine person asks for a refine after every batch; the baseline person never does. Accuracy is
// label accuracy over all images: the final label (person's, else the model's) against the folder label;
// an image without a class counts as wrong.
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClusterOverview, MethodName, ParamsOf, ProjectSummary, PushEvent, ResultOf, ReviewPage } from '../../preload/contract/api.ts';
import { createServices, type Services } from '../../main/app/services/index.ts';
import { projectDbPath } from '../../main/project/project.ts';
import { finalLabelAccuracy } from '../../main/pipeline/cluster/evaluate.ts';
import { csvField } from '../../main/base/csv.ts';

export interface EffortOptions {
  /** The clustered project (never written: each person works on a copy). */
  projectDir: string;
  batch: number;
  /** Actions after which a person stops (each person also stops at 95 % or when the queue is empty). */
  budget: number;
  seedLabelsPerClass: number;
  /** Called after each batch, for a progress line. */
  onBatch?: (person: string, actions: number, acc: number) => void;
}

export interface PersonResult {
  actions_to_80: number | null;
  actions_to_90: number | null;
  actions_to_95: number | null;
  /** [actions, label accuracy] after naming, and after each batch (and its refine). */
  curve: Array<[number, number]>;
}

export interface EffortResult {
  images: number;
  seed_labels: number;
  unsupervised_acc: number;
  start_acc: number;
  refine_seconds_max: number;
  refine: PersonResult;
  baseline: PersonResult;
}

const TARGETS = [0.8, 0.9, 0.95] as const;

export async function simulateEffort(options: EffortOptions): Promise<EffortResult> {
  const refinePerson = await Person.start(options, true);
  const baselinePerson = await Person.start(options, false);
  try {
    const refine = await refinePerson.work();
    const baseline = await baselinePerson.work();
    return {
      images: refinePerson.images,
      seed_labels: refinePerson.seedLabels,
      unsupervised_acc: round(refinePerson.unsupervisedAcc),
      start_acc: round(refinePerson.startAcc),
      refine_seconds_max: round(Math.max(0, ...refinePerson.refineSeconds), 2),
      refine,
      baseline,
    };
  } finally {
    refinePerson.close();
    baselinePerson.close();
  }
}

class Person {
  images = 0;
  seedLabels = 0;
  unsupervisedAcc = 0;
  startAcc = 0;
  readonly refineSeconds: number[] = [];
  private actions = 0;
  private runId = 0;
  private readonly curve: Array<[number, number]> = [];

  private constructor(
    private readonly options: EffortOptions,
    private readonly refines: boolean,
    private readonly services: Services,
    private readonly dir: string,
    private readonly truth: Map<number, string>,
    private readonly relPaths: Map<number, string>,
  ) {}

  static async start(options: EffortOptions, refines: boolean): Promise<Person> {
    const dir = mkdtempSync(join(tmpdir(), `spice-effort-${refines ? 'refine' : 'baseline'}-`));
    copyFileSync(projectDbPath(options.projectDir), projectDbPath(dir));
    const services = createServices({ platform: 'browser', stateDir: join(dir, 'state') });
    const person = new Person(options, refines, services, dir, new Map(), new Map());
    const summary = await person.call('projects.open', { dir });
    if (summary.defaultRunId === null) throw new Error(`${options.projectDir} has no finished clustering run: cluster it first`);
    if (summary.labelledCount === 0) throw new Error(`${options.projectDir} has no folder labels: the simulated person needs them (import with --labels-from-folders)`);
    person.runId = summary.defaultRunId;
    person.images = summary.imageCount;
    const db = person.services.session.requireProject().db;
    for (const r of db.prepare('SELECT id, rel_path, label FROM images WHERE label IS NOT NULL').all() as Array<{ id: number; rel_path: string; label: string }>) {
      person.truth.set(r.id, r.label);
      person.relPaths.set(r.id, r.rel_path);
    }
    return person;
  }

  async work(): Promise<PersonResult> {
    await this.nameClusters();
    this.unsupervisedAcc = this.accuracy();
    this.record();
    this.seedLabels = await this.importSeedLabels();
    if (this.seedLabels > 0 && this.refines) await this.refine();
    this.startAcc = this.accuracy();
    if (this.seedLabels > 0) this.record();
    while (this.actions < this.options.budget && this.accuracy() < TARGETS[TARGETS.length - 1]) {
      const shown = await this.call('review.queue', { runId: this.runId, offset: 0, limit: this.options.batch, hideReviewed: true });
      if (shown.items.length === 0) break;
      await this.review(shown);
      if (this.refines) await this.refine();
      this.record();
      this.options.onBatch?.(this.refines ? 'refine' : 'baseline', this.actions, this.accuracy());
    }
    const reached = (t: number) => this.curve.find(([, acc]) => acc >= t)?.[0] ?? null;
    return { actions_to_80: reached(0.8), actions_to_90: reached(0.9), actions_to_95: reached(0.95), curve: this.curve.map(([a, acc]) => [a, round(acc)]) };
  }

  close(): void {
    this.services.dispose();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Names each cluster after the majority true class of the images its overview card shows. */
  private async nameClusters(): Promise<void> {
    const overview: ClusterOverview = await this.call('clusters.overview', { runId: this.runId });
    for (const card of overview.cards) {
      if (card.size === 0 || card.className !== null) continue;
      const votes = new Map<string, number>();
      for (const id of card.sampleImageIds) {
        const t = this.truth.get(id);
        if (t !== undefined) votes.set(t, (votes.get(t) ?? 0) + 1);
      }
      const best = [...votes].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0];
      if (!best) continue;
      await this.call('mapping.setClusterName', { runId: this.runId, cluster: card.cluster, className: best[0] });
      this.actions++;
    }
  }

  /** The first n images of each class (by id) as a labels CSV the person already has; returns how many. */
  private async importSeedLabels(): Promise<number> {
    const n = this.options.seedLabelsPerClass;
    if (n <= 0) return 0;
    const byClass = new Map<string, number[]>();
    for (const [id, cls] of [...this.truth].sort((a, b) => a[0] - b[0])) byClass.set(cls, [...(byClass.get(cls) ?? []), id]);
    const lines = ['path,class'];
    for (const [cls, ids] of byClass) for (const id of ids.slice(0, n)) lines.push(`${csvField(this.relPaths.get(id)!)},${csvField(cls)}`);
    const file = join(this.dir, 'seed-labels.csv');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const report = await this.call('labels.import', { csvFile: file });
    return report.labelled;
  }

  /** One screenful of the review queue: a move per wrong label, one accept for the right ones. */
  private async review(page: ReviewPage): Promise<void> {
    const right: number[] = [];
    for (const row of page.items) {
      const truth = this.truth.get(row.imageId);
      if (truth === undefined) continue;
      if (row.className === truth && !row.outlier) right.push(row.imageId);
      else {
        await this.call('corrections.move', { imageIds: [row.imageId], className: truth });
        this.actions++;
      }
    }
    if (right.length > 0) {
      await this.call('labels.accept', { runId: this.runId, imageIds: right });
      this.actions++;
    }
  }

  private async refine(): Promise<void> {
    const t = performance.now();
    const { jobId } = await this.call('pipeline.startRefine', { runId: this.runId });
    await this.jobEnd(jobId);
    this.refineSeconds.push((performance.now() - t) / 1000);
    const summary: ProjectSummary | null = await this.call('projects.current');
    if (!summary?.defaultRunId) throw new Error('no default run after refine');
    this.runId = summary.defaultRunId;
  }

  private jobEnd(jobId: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const stop = this.services.onPush((e: PushEvent) => {
        if (e.type !== 'job' || e.event.type !== 'finished' || e.event.jobId !== jobId) return;
        stop();
        if (e.event.state === 'done') resolve();
        else reject(new Error(`refine job ${jobId} ended ${e.event.state}: ${e.event.error ?? ''}`));
      });
      // It may have finished before the listener was attached.
      void this.call('pipeline.jobs', { limit: 5 }).then((jobs) => {
        const job = jobs.find((j) => j.id === jobId);
        if (job && job.state !== 'running') {
          stop();
          if (job.state === 'done') resolve();
          else reject(new Error(`refine job ${jobId} ended ${job.state}: ${job.error ?? ''}`));
        }
      });
    });
  }

  private accuracy(): number {
    const a = finalLabelAccuracy(this.services.session.requireProject().db, this.runId);
    return a.total > 0 ? a.correct / a.total : 0;
  }

  private record(): void {
    this.curve.push([this.actions, this.accuracy()]);
  }

  private async call<M extends MethodName>(method: M, ...params: undefined extends ParamsOf<M> ? [ParamsOf<M>?] : [ParamsOf<M>]): Promise<ResultOf<M>> {
    const r = await this.services.dispatch(method, params[0]);
    if (!r.ok) throw new Error(`${method}: ${r.error.message}`);
    return r.result as ResultOf<M>;
  }
}

function round(v: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
