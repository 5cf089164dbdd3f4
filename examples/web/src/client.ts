// The Apollo Client a frontend would build: a link to the gateway with the user's bearer token,
// and a normalised cache. Entities are keyed by __typename and id (Apollo's default), which is
// sound here because the gateway gives every entity a stable id: a Member's id is its membership
// (one per iTwin and user), a User's is the user's, whatever field returned it.
//
// Requests name their document by hash (Apollo's persisted query link, with the hash codegen put
// in each document), so the app runs against a gateway locked to its manifest
// (TRUSTED_DOCUMENTS=src/gql/persisted-documents.json) and never sends a document's text.
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { relayStylePagination } from '@apollo/client/utilities';
import type { DocumentNode } from 'graphql';

// The hash graphql-codegen's client preset embeds in each document (persistedDocuments).
export function documentHash(document: DocumentNode): string {
  const hash = (document as { __meta__?: { hash?: string } }).__meta__?.hash;
  if (!hash) throw new Error('a document without a persisted hash: run npm run codegen');
  return hash;
}

export function createClient(uri: string, token: string): ApolloClient {
  const persisted = new PersistedQueryLink({ generateHash: documentHash });
  const http = new HttpLink({ uri, headers: { Authorization: `Bearer ${token}` } });
  return new ApolloClient({
    link: ApolloLink.from([persisted, http]),
    cache: new InMemoryCache({
      typePolicies: {
        // Pages of a connection merge into one list in the cache; fetchMore asks for the next.
        Query: { fields: { itwins: relayStylePagination(['filter']) } },
        ITwin: { fields: { members: relayStylePagination() } },
      },
    }),
  });
}
