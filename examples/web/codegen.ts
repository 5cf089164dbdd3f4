// graphql-codegen's client preset: typed documents for every graphql() call in src/, generated
// from the gateway's schema into src/gql/ with the trusted documents manifest (committed; CI fails
// if `npm run codegen` changes them).
import type { CodegenConfig } from '@graphql-codegen/cli';
import { addTypenameSelectionDocumentTransform } from '@graphql-codegen/client-preset';

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
      presetConfig: {
        fragmentMasking: false,
        // src/gql/persisted-documents.json: the trusted documents manifest the gateway enforces
        // (TRUSTED_DOCUMENTS). Each document is known by the SHA-256 of its text, which Apollo's
        // persisted query link sends instead of the text.
        persistedDocuments: { hashAlgorithm: 'sha256' },
      },
      // Apollo adds __typename to every selection; the manifest's documents must hold them too.
      documentTransforms: [addTypenameSelectionDocumentTransform],
    },
  },
};

export default config;
