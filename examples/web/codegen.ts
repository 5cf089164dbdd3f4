// graphql-codegen's client preset: typed documents for every graphql() call in src/, generated
// from the gateway's schema into src/gql/ (committed; CI fails if `npm run codegen` changes it).
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: '../../schema.graphqls',
  documents: ['src/**/*.ts', '!src/gql/**'],
  ignoreNoDocuments: false,
  generates: {
    'src/gql/': {
      preset: 'client',
      config: {
        scalars: { DateTime: 'string' },
        enumsAsTypes: true,
        useTypeImports: true,
        emitLegacyCommonJSImports: false, // .js in relative imports, as Node's ESM needs
      },
      presetConfig: { fragmentMasking: false },
    },
  },
};

export default config;
