import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import globals from 'globals';

export default tseslint.config(
  {
    ignores: [
      'vitest.config.mts',
      'vitest.cluster.config.mts',
      'dist/',
      'node_modules/',
      'coverage/',
      '.data/',
      'test-artifacts/',
      'public/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node, ...globals.jest },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      curly: ['error', 'all'],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/require-await': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    // Every transaction goes through src/database/transactions.ts (lock order, retries).
    files: ['src/**/*.ts'],
    // The migrator needs a session of its own (an advisory lock), not a transaction; a prepared
    // statement borrows a connection for that one statement.
    ignores: [
      'src/database/transactions.ts',
      'src/database/migrator.ts',
      'src/database/prepared.ts',
    ],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector:
            "CallExpression[callee.property.name='transaction'][callee.object.property.name=/^(dataSource|manager)$/]",
          message: 'run transactions through inTransaction() from src/database/transactions.ts',
        },
        {
          selector:
            "CallExpression[callee.property.name='transaction'][callee.object.name=/^(dataSource|manager)$/]",
          message: 'run transactions through inTransaction() from src/database/transactions.ts',
        },
        {
          selector: 'CallExpression[callee.property.name=/^(startTransaction|createQueryRunner)$/]',
          message: 'run transactions through inTransaction() from src/database/transactions.ts',
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  { files: ['**/*.js', '**/*.mjs', '**/*.cjs'], ...tseslint.configs.disableTypeChecked },
  {
    // Benchmarks are plain CommonJS run by node against dist/.
    files: ['test/bench/**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  prettier,
);
