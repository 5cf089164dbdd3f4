// Hive Gateway's configuration for the example: serve the composed supergraph, and pass the
// caller's bearer token to the subgraphs, since the iTwin gateway calls the platform with it.
import { defineConfig } from '@graphql-hive/gateway';

export const gatewayConfig = defineConfig({
  supergraph: process.env.SUPERGRAPH || './supergraph.graphql',
  propagateHeaders: {
    fromClientToSubgraphs({ request }) {
      const authorization = request.headers.get('authorization');
      return authorization ? { authorization } : {};
    },
  },
});
