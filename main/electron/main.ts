// The desktop app's main process: one hardened window over the same services as the CLI and the
// browser bridge. This folder is the only place that imports Electron.
import { app, BrowserWindow, dialog, ipcMain, session as electronSession, shell, type WebContents } from 'electron';
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IPC_CALL_CHANNEL, IPC_PUSH_CHANNEL } from '../../preload/contract/wire.ts';
import { createServiceHost, type ServiceHost } from '../app/service-host/host.ts';
import { devServerOrigin, sameOrigin } from './dev-server.ts';
import { createIpcHandler } from './ipc-adapter.ts';
import { APP_ORIGIN, APP_START_URL, handleSchemes, registerSchemes } from './protocols.ts';
import { forkServiceProcess } from './service-process.ts';

// Bundled by `npm run build:main` to dist/electron/main.js; the app root is two folders up.
const APP_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const RENDERER_DIR = join(APP_ROOT, 'dist', 'renderer');
const PRELOAD = join(APP_ROOT, 'dist', 'electron', 'preload.cjs');
/** Development only (never in a packaged app): load the renderer from a Vite dev server on this machine. */
const DEV_SERVER = devServerOrigin(process.env.SPICE_DEV_SERVER_URL, app.isPackaged);

// The model registry sits in the app folder (asar), not beside the bundle.
process.env.SPICE_MODEL_REGISTRY ??= join(APP_ROOT, 'models', 'registry.json');

registerSchemes();
// A second launch hands over to the running app (one window, one open project per user).
const primaryInstance = app.requestSingleInstanceLock();

const windows = new Set<number>();
let services: ServiceHost | null = null;
let mainWindow: BrowserWindow | null = null;

function createWindow(svc: ServiceHost): BrowserWindow {
  const win = new BrowserWindow({
    width: 1400,
    height: 900,
    minWidth: 900,
    minHeight: 600,
    title: 'SPICE Workbench',
    show: false,
    webPreferences: {
      preload: PRELOAD,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webviewTag: false,
      spellcheck: false,
      safeDialogs: true,
    },
  });
  const contentsId = win.webContents.id;
  windows.add(contentsId);
  win.on('closed', () => windows.delete(contentsId));
  win.once('ready-to-show', () => win.show());
  harden(win.webContents);
  const offPush = svc.onPush((event) => {
    if (!win.isDestroyed()) win.webContents.send(IPC_PUSH_CHANNEL, event);
  });
  win.on('closed', offPush);
  void win.loadURL(DEV_SERVER ? `${DEV_SERVER}/` : APP_START_URL);
  return win;
}

/** No navigation away from the app, no new windows (http(s) links open in the system browser), no permissions. */
function harden(contents: WebContents): void {
  const allowed = DEV_SERVER ?? APP_ORIGIN;
  contents.on('will-navigate', (event, url) => {
    if (!sameOrigin(url, allowed)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!sameOrigin(url, allowed)) event.preventDefault();
  });
  contents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

async function chooseFolder(options: { title?: string; defaultPath?: string }): Promise<string | null> {
  const dialogOptions: Electron.OpenDialogOptions = {
    title: options.title ?? 'Choose a folder',
    defaultPath: options.defaultPath,
    properties: ['openDirectory', 'createDirectory'],
  };
  const result = mainWindow ? await dialog.showOpenDialog(mainWindow, dialogOptions) : await dialog.showOpenDialog(dialogOptions);
  return result.canceled || result.filePaths.length === 0 ? null : result.filePaths[0];
}

/** A save dialog names the new folder the export is written into. */
async function chooseExportFolder(suggested: string): Promise<string | null> {
  const dialogOptions: Electron.SaveDialogOptions = {
    title: 'Export images into class folders',
    defaultPath: join(app.getPath('documents'), `spice-export-${basename(suggested)}`),
    buttonLabel: 'Export here',
    properties: ['createDirectory', 'showOverwriteConfirmation'],
  };
  const result = mainWindow ? await dialog.showSaveDialog(mainWindow, dialogOptions) : await dialog.showSaveDialog(dialogOptions);
  return result.canceled || !result.filePath ? null : result.filePath;
}

async function start(): Promise<void> {
  await app.whenReady();
  if (!existsSync(join(RENDERER_DIR, 'index.html')) && !DEV_SERVER) {
    dialog.showErrorBox('SPICE Workbench', `The renderer is not built (${RENDERER_DIR}). Run npm run build first.`);
    app.quit();
    return;
  }
  // The page needs no camera, notifications, clipboard reads...: refuse every permission request.
  electronSession.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  electronSession.defaultSession.setPermissionCheckHandler(() => false);

  // The services run in a utility process; this process only forwards calls, pushes and images (the
  // host's image reader, a worker thread here), and runs the dialogs the services ask for.
  const svc = createServiceHost({
    platform: 'electron',
    stateDir: app.getPath('userData'),
    host: { chooseFolder, chooseExportFolder, electronVersion: process.versions.electron, version: app.getVersion() },
    spawn: forkServiceProcess,
  });
  services = svc;
  svc.ready.catch((err: unknown) => dialog.showErrorBox('SPICE Workbench could not start its services', err instanceof Error ? err.message : String(err)));
  handleSchemes(RENDERER_DIR, svc);
  ipcMain.handle(
    IPC_CALL_CHANNEL,
    createIpcHandler(svc, {
      allowedOrigins: [DEV_SERVER ?? APP_ORIGIN],
      isAppContents: (id) => windows.has(id),
    }),
  );
  // A project given on the command line opens at start (electron . --project <dir>).
  const flag = process.argv.indexOf('--project');
  if (flag > 0 && process.argv[flag + 1]) await svc.dispatch('projects.open', { dir: process.argv[flag + 1] });

  mainWindow = createWindow(svc);
  app.on('second-instance', () => {
    if (mainWindow && !mainWindow.isDestroyed()) {
      if (mainWindow.isMinimized()) mainWindow.restore();
      mainWindow.focus();
    }
  });
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) mainWindow = createWindow(svc);
  });
}

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
// Quitting waits (briefly: close() kills what does not stop) for the services to cancel their jobs and
// close the project, then quits for real.
app.on('before-quit', (event) => {
  const svc = services;
  if (!svc) return;
  services = null;
  event.preventDefault();
  void svc.close().finally(() => app.quit());
});

if (!primaryInstance) {
  app.quit();
} else {
  start().catch((err: unknown) => {
    dialog.showErrorBox('SPICE Workbench could not start', err instanceof Error ? (err.stack ?? err.message) : String(err));
    app.exit(1);
  });
}
