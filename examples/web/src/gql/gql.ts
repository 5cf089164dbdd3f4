/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  query MyITwins($first: Int!, $after: String) {\n    itwins(first: $first, after: $after) {\n      pageInfo { hasNextPage endCursor }\n      edges {\n        cursor\n        node { id displayName number subClass status account { id displayName } }\n      }\n    }\n  }\n": typeof types.MyITwinsDocument,
    "\n  query Team($itwin: ID!, $first: Int!, $after: String) {\n    itwin(id: $itwin) {\n      id\n      displayName\n      members(first: $first, after: $after) {\n        pageInfo { hasNextPage endCursor }\n        edges {\n          cursor\n          node {\n            id\n            userId\n            iTwinId\n            roles { id displayName }\n            user { id displayName email }\n          }\n        }\n      }\n    }\n  }\n": typeof types.TeamDocument,
    "\n  query Membership($itwin: ID!, $user: ID!) {\n    itwin(id: $itwin) {\n      id\n      member(userId: $user) {\n        id\n        userId\n        iTwinId\n        email\n        roles { id displayName }\n        user { id displayName email organizationName alternateEmail }\n      }\n    }\n  }\n": typeof types.MembershipDocument,
    "\n  query Me {\n    me { id displayName email givenName surname organizationName alternateEmail phone city }\n  }\n": typeof types.MeDocument,
};
const documents: Documents = {
    "\n  query MyITwins($first: Int!, $after: String) {\n    itwins(first: $first, after: $after) {\n      pageInfo { hasNextPage endCursor }\n      edges {\n        cursor\n        node { id displayName number subClass status account { id displayName } }\n      }\n    }\n  }\n": types.MyITwinsDocument,
    "\n  query Team($itwin: ID!, $first: Int!, $after: String) {\n    itwin(id: $itwin) {\n      id\n      displayName\n      members(first: $first, after: $after) {\n        pageInfo { hasNextPage endCursor }\n        edges {\n          cursor\n          node {\n            id\n            userId\n            iTwinId\n            roles { id displayName }\n            user { id displayName email }\n          }\n        }\n      }\n    }\n  }\n": types.TeamDocument,
    "\n  query Membership($itwin: ID!, $user: ID!) {\n    itwin(id: $itwin) {\n      id\n      member(userId: $user) {\n        id\n        userId\n        iTwinId\n        email\n        roles { id displayName }\n        user { id displayName email organizationName alternateEmail }\n      }\n    }\n  }\n": types.MembershipDocument,
    "\n  query Me {\n    me { id displayName email givenName surname organizationName alternateEmail phone city }\n  }\n": types.MeDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query MyITwins($first: Int!, $after: String) {\n    itwins(first: $first, after: $after) {\n      pageInfo { hasNextPage endCursor }\n      edges {\n        cursor\n        node { id displayName number subClass status account { id displayName } }\n      }\n    }\n  }\n"): (typeof documents)["\n  query MyITwins($first: Int!, $after: String) {\n    itwins(first: $first, after: $after) {\n      pageInfo { hasNextPage endCursor }\n      edges {\n        cursor\n        node { id displayName number subClass status account { id displayName } }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Team($itwin: ID!, $first: Int!, $after: String) {\n    itwin(id: $itwin) {\n      id\n      displayName\n      members(first: $first, after: $after) {\n        pageInfo { hasNextPage endCursor }\n        edges {\n          cursor\n          node {\n            id\n            userId\n            iTwinId\n            roles { id displayName }\n            user { id displayName email }\n          }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query Team($itwin: ID!, $first: Int!, $after: String) {\n    itwin(id: $itwin) {\n      id\n      displayName\n      members(first: $first, after: $after) {\n        pageInfo { hasNextPage endCursor }\n        edges {\n          cursor\n          node {\n            id\n            userId\n            iTwinId\n            roles { id displayName }\n            user { id displayName email }\n          }\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Membership($itwin: ID!, $user: ID!) {\n    itwin(id: $itwin) {\n      id\n      member(userId: $user) {\n        id\n        userId\n        iTwinId\n        email\n        roles { id displayName }\n        user { id displayName email organizationName alternateEmail }\n      }\n    }\n  }\n"): (typeof documents)["\n  query Membership($itwin: ID!, $user: ID!) {\n    itwin(id: $itwin) {\n      id\n      member(userId: $user) {\n        id\n        userId\n        iTwinId\n        email\n        roles { id displayName }\n        user { id displayName email organizationName alternateEmail }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Me {\n    me { id displayName email givenName surname organizationName alternateEmail phone city }\n  }\n"): (typeof documents)["\n  query Me {\n    me { id displayName email givenName surname organizationName alternateEmail phone city }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;