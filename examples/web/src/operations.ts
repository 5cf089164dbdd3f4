// The frontend's queries: a list of the caller's iTwins, an iTwin's team, one membership, and
// the caller's own profile. Written with the client preset's graphql(), so each is a typed
// document whose variables and result types come from the schema.
import { graphql } from './gql/index.js';

export const MyITwins = graphql(`
  query MyITwins($first: Int!, $after: String) {
    itwins(first: $first, after: $after) {
      pageInfo { hasNextPage endCursor }
      edges {
        cursor
        node { id displayName number subClass status account { id displayName } }
      }
    }
  }
`);

export const Team = graphql(`
  query Team($itwin: ID!, $first: Int!, $after: String) {
    itwin(id: $itwin) {
      id
      displayName
      members(first: $first, after: $after) {
        pageInfo { hasNextPage endCursor }
        edges {
          cursor
          node {
            id
            userId
            iTwinId
            roles { id displayName }
            user { id displayName email }
          }
        }
      }
    }
  }
`);

export const Membership = graphql(`
  query Membership($itwin: ID!, $user: ID!) {
    itwin(id: $itwin) {
      id
      member(userId: $user) {
        id
        userId
        iTwinId
        email
        roles { id displayName }
        user { id displayName email organizationName alternateEmail }
      }
    }
  }
`);

export const Me = graphql(`
  query Me {
    me { id displayName email givenName surname organizationName alternateEmail phone city }
  }
`);
