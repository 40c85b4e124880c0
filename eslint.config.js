// @ts-check
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import tseslint from 'typescript-eslint';
import { layersPlugin } from './tools/eslint/layers.js';

const root = path.dirname(fileURLToPath(import.meta.url));

/**
 * The layers and their arrows (docs/lint-and-layers.md). A layer may import itself and the layers in `may`,
 * nothing else:
 *   base ← engine ← cloud ← study ← app/node ← app/cli, electron
 *                   cloud ← emulator ← app/node
 *   base ← app/common (the contract) ← app/node, app/cli, renderer, electron
 * tests/, bench/ and tools/ use any layer.
 */
const LAYERS = [
  { name: 'base', dir: 'base', may: [], packages: (/** @type {string} */ s) => s === 'zod' },
  { name: 'engine', dir: 'engine', may: ['base'] },
  { name: 'cloud', dir: 'cloud', may: ['engine', 'base'] },
  { name: 'study', dir: 'study', may: ['cloud', 'engine', 'base'] },
  { name: 'emulator', dir: 'emulator', may: ['cloud', 'engine', 'base'] },
  { name: 'contract', dir: 'app/common', may: ['base'] },
  { name: 'node', dir: 'app/node', may: ['contract', 'emulator', 'study', 'cloud', 'engine', 'base'] },
  // The CLI is a thin client of the Node services: it reaches engine/, cloud/ and study/ only through app/node.
  { name: 'cli', dir: 'app/cli', may: ['node', 'contract', 'base'] },
  { name: 'electron', dir: 'electron', may: ['node', 'contract', 'base'] },
  { name: 'renderer', dir: 'renderer', may: ['contract', 'base'] },
];

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'tests/fixtures/**', 'bench/results/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: { ...globals.node } },
    plugins: { layers: layersPlugin(LAYERS, root) },
    rules: {
      'layers/imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    // The rules of hooks and their dependency lists; the React Compiler rules of the plugin's preset are not used
    // (the app is not compiled with it).
    rules: { 'react-hooks/rules-of-hooks': 'error', 'react-hooks/exhaustive-deps': 'error' },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  // Tests, benchmarks and tools may use any layer; tests feed deliberately ill-typed input (`as any`) to validators.
  { files: ['tests/**', 'bench/**', 'tools/**'], rules: { 'layers/imports': 'off' } },
  { files: ['tests/**'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
  // The local AWS servers are being reworked on the emulator branch; these two findings are fixed there.
  {
    files: ['tests/infra/cfn-local.ts', 'tests/infra/sfn-local-server.ts'],
    rules: { 'prefer-const': 'off', 'no-control-regex': 'off' },
  },
);
