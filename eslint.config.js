// @ts-check
/**
 * Lint: typescript-eslint's type-checked recommendations over everything tsconfig.json includes, plus the
 * rules the codebase already follows by hand (type-only imports, no dropped promises, strict equality).
 */
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  {
    ignores: [
      '**/node_modules/**',
      '.serverless/**',
      '.esbuild/**',
      '.esbuild-invoke-local/**',
      '.doctrain/**',
      'training-image/**',
      'coverage/**',
      'eslint.config.js',
    ],
  },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: {
      reportUnusedDisableDirectives: 'error',
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { prefer: 'type-imports', fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
      '@typescript-eslint/no-floating-promises': 'error',
      // Beside tsc's noUnusedLocals / noUnusedParameters: also unused catch bindings and destructured rests.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'all', ignoreRestSiblings: true }],
      eqeqeq: ['error', 'always'],
      'no-console': 'off',
    },
  },
  {
    // What the Lambdas bundle: zod's named `z` export cannot be tree-shaken and pulls all of zod (about
    // 450 KB minified, its locales included) into every function; the namespace import keeps what is used.
    files: ['src/**/*.ts', 'functions/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "ImportDeclaration[source.value='zod'][importKind='value'] > ImportSpecifier[imported.name='z'][importKind='value']",
          message: "import * as z from 'zod': the named `z` is not tree-shaken in the Lambda bundles (see eslint.config.js)",
        },
      ],
    },
  },
  {
    // Tests read JSON fixtures and SDK mocks (`any`) and assert on values they have just checked exist.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // expect(mock.fn).toHaveBeenCalled() and friends pass methods around on purpose.
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);
