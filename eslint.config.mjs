// ESLint for the TypeScript sources (typescript-eslint, type-aware) and the plain-JS tests, benches and
// editor-free scripts. `npm test` runs it (pretest).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/**', '.node-red-demo/**', 'node_modules/**', 'bench/compare/node_modules/**', 'test-artifacts/**', 'training/**', 'build/**', 'vendor/**', 'src/editor/shared/*.fragment.js', 'src/demo/flow/**'] }, // flow/: function-node bodies (a top-level return)
  {
    files: ['src/**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.strictTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // Template literals with numbers are how status lines and errors are written here.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      // `(x) => doSomething(x)` returning void is idiomatic for callbacks; this rule only argues style.
      '@typescript-eslint/no-confusing-void-expression': 'off',
    },
  },
  {
    files: ['**/*.js'],
    extends: [js.configs.recommended],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node, ...globals.mocha } },
    rules: { 'no-unused-vars': ['error', { args: 'none', caughtErrors: 'none' }] },
  },
  {
    // Editor code built into the nodes' editor pages (scripts/build-editor.js): a browser script whose
    // functions the including page calls.
    files: ['src/editor/**/*.js'],
    languageOptions: { sourceType: 'script', globals: { ...globals.browser, ...globals.jquery, RED: 'readonly' } },
    rules: { 'no-unused-vars': ['error', { varsIgnorePattern: '^(showWhen|modelConfig)$' }] },
  },
  {
    // page.evaluate callbacks run in the browser.
    files: ['test/browser/**/*.js'],
    languageOptions: { globals: { ...globals.browser, RED: 'readonly' } }, // RED: the Node-RED editor's page
  },
);
