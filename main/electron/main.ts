// Electron main process: lifecycle, the window, and the bindings. All real work lives in main/core.
import { app, BrowserWindow, dialog } from 'electron';
import { fileURLToPath } from 'node:url';
import { startCoreWorker, type CoreClient } from '../core/host/client.js';
import { bindIpc } from './ipc.js';
import { desktopKeyProvider } from './key-store.js';
import { handleProtocols, registerSchemes } from './protocols.js';
import { APP_ORIGIN, hardenApp } from './security.js';

const rendererDir = fileURLToPath(new URL('../../renderer', import.meta.url));
const preloadPath = fileURLToPath(new URL('../../preload/preload.cjs', import.meta.url));

function dbOption(): string | undefined {
  const i = process.argv.indexOf('--db');
  return i >= 0 ? process.argv[i + 1] : undefined;
}

registerSchemes();
hardenApp();
if (!app.requestSingleInstanceLock()) app.quit();

// The core (SQLite, decoding, ONNX) runs in a worker thread, so this thread only moves windows and messages.
let core: CoreClient | null = null;

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1400,
    height: 900,
    title: 'Emma',
    backgroundColor: '#16181c',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  });
  void win.loadURL(`${APP_ORIGIN}/index.html`);
  return win;
}

app.whenReady().then(
  async () => {
    try {
      core = await startCoreWorker({ dbPath: dbOption(), mode: 'electron', teacherKeyProvider: desktopKeyProvider() });
    } catch (e) {
      dialog.showErrorBox('Emma cannot open its database', (e as Error).message);
      app.exit(1);
      return;
    }
    handleProtocols(core, rendererDir);
    bindIpc(core, () => BrowserWindow.getAllWindows());
    createWindow();
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) createWindow();
    });
  },
  (e: unknown) => console.error('Emma failed to start:', e),
);

app.on('second-instance', () => BrowserWindow.getAllWindows()[0]?.focus());
app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
let closing = false;
app.on('will-quit', (event) => {
  if (!core || closing) return;
  // Finish or cancel running jobs before the database closes.
  event.preventDefault();
  closing = true;
  void core.close().finally(() => app.quit());
});
