// ESLint: the layer rule (what each folder may import; tests/unit/layers.test.ts checks the same from the other
// side) and a small set of correctness rules. Formatting is Prettier's job (`.prettierrc.json`).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import { builtinModules } from 'node:module';

const node = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];
const nativeOrMain = ['electron', 'better-sqlite3', 'sharp', 'onnxruntime-node', 'openai'];
const restrict = (paths, patterns = []) => ['error', { paths: paths.map((name) => ({ name, message: 'not in this layer (see eslint.config.js)' })), patterns }];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'release/**', 'out/**', 'test-results/**', '.emma-test/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module' },
    rules: {
      // The code base uses `unknown` + narrowing; an explicit `any` or an unused name is worth a look, not a failure.
      '@typescript-eslint/no-explicit-any': 'warn',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      'no-empty': ['error', { allowEmptyCatch: true }],
      // TypeScript already resolves every name (and knows Node's and the DOM's globals per layer).
      'no-undef': 'off',
      // `cond ? a() : b()`, `x && f()` and `if (c) (a = 1), (b = 2)` as statements are this code base's idiom.
      '@typescript-eslint/no-unused-expressions': 'off',
      // Worth a look when touching the code, not a failed build.
      'no-useless-assignment': 'warn',
      'preserve-caught-error': 'warn',
    },
  },
  {
    files: ['renderer/src/**/*.tsx', 'renderer/src/**/*.ts'],
    plugins: { 'react-hooks': reactHooks },
    rules: { 'react-hooks/rules-of-hooks': 'error', 'react-hooks/exhaustive-deps': 'warn' },
  },
  { files: ['main/core/**'], rules: { 'no-restricted-imports': restrict(['electron', 'react', 'react-dom']) } },
  { files: ['main/server/**', 'main/cli/**'], rules: { 'no-restricted-imports': restrict(['electron']) } },
  {
    files: ['native-models/**'],
    rules: { 'no-restricted-imports': restrict(['electron', 'react', 'react-dom'], [{ group: ['**/main/**'], message: 'the engine stands alone' }]) },
  },
  {
    files: ['renderer/src/**'],
    rules: {
      'no-restricted-imports': restrict(
        [...node, ...nativeOrMain],
        [{ regex: '/main/(?!core/contract\\.js$)', message: 'the renderer takes only the contract from main/' }],
      ),
    },
  },
  {
    files: ['preload/**'],
    rules: {
      'no-restricted-imports': restrict(
        ['react', 'react-dom', ...nativeOrMain.filter((m) => m !== 'electron')],
        [{ regex: '/main/(?!core/contract\\.js$)', message: 'preload exposes the bridge only' }],
      ),
    },
  },
);
