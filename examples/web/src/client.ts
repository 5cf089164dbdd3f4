// The Apollo Client a frontend would build: an HTTP link to the gateway with the user's bearer
// token, and a normalised cache. Entities are keyed by __typename and id (Apollo's default), which
// is sound here because the gateway gives every entity a stable id: a Member's id is its
// membership (one per iTwin and user), a User's is the user's, whatever field returned it.
import { ApolloClient, HttpLink, InMemoryCache } from '@apollo/client';
import { relayStylePagination } from '@apollo/client/utilities';

export function createClient(uri: string, token: string): ApolloClient {
  return new ApolloClient({
    link: new HttpLink({ uri, headers: { Authorization: `Bearer ${token}` } }),
    cache: new InMemoryCache({
      typePolicies: {
        // Pages of a connection merge into one list in the cache; fetchMore asks for the next.
        Query: { fields: { itwins: relayStylePagination(['filter']) } },
        ITwin: { fields: { members: relayStylePagination() } },
      },
    }),
  });
}
