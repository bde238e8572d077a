// Sandboxed preload (CommonJS, as Electron requires): exposes the typed bridge and nothing else.
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import type { EmmaBridge, EmmaEvent, EmmaMethod, Envelope } from '../main/core/contract.js';

const bridge: EmmaBridge = {
  invoke: (method: EmmaMethod, args: unknown[]) =>
    ipcRenderer.invoke('emma:invoke', method, args) as Promise<Envelope<unknown>>,
  onEvent: (listener: (event: EmmaEvent) => void) => {
    const handler = (_e: unknown, event: EmmaEvent) => listener(event);
    ipcRenderer.on('emma:event', handler);
    return () => {
      ipcRenderer.removeListener('emma:event', handler);
    };
  },
  pathForFile: (file: File) => webUtils.getPathForFile(file),
};

contextBridge.exposeInMainWorld('emma', bridge);
