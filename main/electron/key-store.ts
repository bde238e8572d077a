import { app, safeStorage } from 'electron';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../core/library/importer.js';
import { chainKeyProviders, envKeyProvider, KeyStoreUnavailableError, type TeacherKeyProvider } from '../core/teacher/keys.js';

/**
 * The teacher's API key encrypted with the OS key store (DPAPI, Keychain, libsecret) through safeStorage,
 * in the user data folder. The renderer can set it but never read it.
 */
export function safeStorageKeyProvider(file = join(app.getPath('userData'), 'teacher-key.bin')): TeacherKeyProvider {
  return {
    async getKey() {
      let data: Buffer;
      try {
        data = await readFile(file);
      } catch {
        return null;
      }
      if (!safeStorage.isEncryptionAvailable()) return null;
      return safeStorage.decryptString(data);
    },
    async setKey(key) {
      if (!key) {
        await rm(file, { force: true });
        return;
      }
      // On Linux without a keyring safeStorage falls back to a hard-coded password: refuse rather than pretend.
      if (!safeStorage.isEncryptionAvailable() || safeStorage.getSelectedStorageBackend?.() === 'basic_text') {
        throw new KeyStoreUnavailableError('No OS key store is available to protect the API key; set OPENAI_API_KEY or EMMA_TEACHER_API_KEY_FILE instead.');
      }
      await writeFileAtomic(file, safeStorage.encryptString(key.trim()));
    },
    describe: () => 'stored encrypted by the operating system',
  };
}

export function desktopKeyProvider(): TeacherKeyProvider {
  return chainKeyProviders(safeStorageKeyProvider(), envKeyProvider('OPENAI_API_KEY'));
}
