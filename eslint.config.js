// ESLint 9 flat config: `npm run lint` (CI runs it after the typecheck and the layer check).
// Rules that catch bugs only; formatting is Prettier's (`npm run format:check`, .prettierrc.json).
// typescript-eslint's recommended set without type information: the type-aware run (projectService over
// both tsconfigs, with no-floating-promises, no-misused-promises, await-thenable) took 53 s instead of 21 s
// on two cores and found nothing outside test/, where its 310 reports were node:test's test() promises.
import { defineConfig } from 'eslint/config';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';

export default defineConfig(
  {
    ignores: [
      '**/node_modules/**',
      'dist/**',
      'out/**',
      'release/**',
      'data/**',
      'models/**',
      'test-output/**',
      'bench-output/**',
      'demo-project/**',
      'scratch/**',
      '.cache/**',
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  svelte.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // Unused code is a bug or dead weight; a leading `_` marks a name kept on purpose.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-fallthrough': 'error',
      'no-self-compare': 'error',
      'no-template-curly-in-string': 'error',
      'no-unreachable-loop': 'error',
      'no-constructor-return': 'error',
      'array-callback-return': 'error',
      'default-case-last': 'error',
      'no-new-wrappers': 'error',
      'no-throw-literal': 'error',
      // A ternary of two calls is a statement in a few places (`has(x) ? a.set(..) : b.set(..)`).
      '@typescript-eslint/no-unused-expressions': ['error', { allowTernary: true }],
      // The state classes keep Sets and Maps immutable ($state.raw, replaced whole) or local to a function;
      // SvelteMap is used where a collection is mutated in place. Every report here was of the first kind.
      'svelte/prefer-svelte-reactivity': 'off',
    },
  },
  {
    files: ['renderer/src/**/*.{ts,svelte}'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: {
      parserOptions: {
        parser: tseslint.parser,
        extraFileExtensions: ['.svelte'],
      },
    },
  },
);
