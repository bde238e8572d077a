import { ipcMain, type BrowserWindow } from 'electron';
import type { CoreEndpoint } from '../core/api.js';
import { isTrustedUrl } from './security.js';

export const INVOKE_CHANNEL = 'emma:invoke';
export const EVENT_CHANNEL = 'emma:event';

/** Binds the API to IPC: the sender must be our own page; arguments are validated by dispatch(). */
export function bindIpc(core: CoreEndpoint, getWindows: () => BrowserWindow[]): () => void {
  ipcMain.handle(INVOKE_CHANNEL, async (event, method: unknown, args: unknown) => {
    if (!isTrustedUrl(event.senderFrame?.url)) {
      return { ok: false, error: { code: 'forbidden', message: 'IPC from an untrusted frame' } };
    }
    return core.call(method, args);
  });
  const off = core.events.on((e) => {
    for (const win of getWindows()) if (!win.isDestroyed()) win.webContents.send(EVENT_CHANNEL, e);
  });
  return () => {
    off();
    ipcMain.removeHandler(INVOKE_CHANNEL);
  };
}
