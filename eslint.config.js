// Lint: typescript-eslint's recommended rules, and the layering rules of docs/architecture.md
// as import restrictions, so an arrow that runs the wrong way fails `npm run lint`.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Imports of these folders of ours, from anywhere below the importing file. */
const ours = (...folders) =>
  folders.map((f) => ({ group: [`**/${f}/**`, `${f}/**`], message: `${f}/ is a layer above: see docs/architecture.md ("Layering").` }));

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', 'dist/**', 'beacon/dist/**', '**/*.min.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: { console: 'readonly', process: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      'no-undef': 'off', // TypeScript knows the globals better.
    },
  },
  // config/ is the contract: it imports nothing of ours outside config/.
  { files: ['config/**/*.ts'], rules: { 'no-restricted-imports': ['error', { patterns: ours('agent', 'beacon', 'lab', 'bench', 'test') }] } },
  // beacon/ is the browser bundle: it may read contracts from config/, nothing else of ours.
  { files: ['beacon/**/*.ts'], rules: { 'no-restricted-imports': ['error', { patterns: ours('agent', 'lab', 'bench', 'test') }] } },
  // The agent never reaches into the lab, the benchmarks or the tests.
  { files: ['agent/**/*.ts'], rules: { 'no-restricted-imports': ['error', { patterns: ours('lab', 'bench', 'test', 'beacon') }] } },
);
