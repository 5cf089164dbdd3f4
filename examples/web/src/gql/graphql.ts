/* eslint-disable */
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
export type Maybe<T> = T | null;
export type InputMaybe<T> = T | null | undefined;
export type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
export type MakeOptional<T, K extends keyof T> = Omit<T, K> & { [SubKey in K]?: Maybe<T[SubKey]> };
export type MakeMaybe<T, K extends keyof T> = Omit<T, K> & { [SubKey in K]: Maybe<T[SubKey]> };
export type MakeEmpty<T extends { [key: string]: unknown }, K extends keyof T> = { [_ in K]?: never };
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
  /**
   * A point in time, written as an RFC 3339 string in UTC, such as "2021-01-04T09:00:00.1234567Z".
   * The platform writes dates in several ISO 8601 forms; all of them arrive here in this one.
   */
  DateTime: { input: string; output: string; }
};

/** An Account: the iTwin at the root of an organization's hierarchy that owns its other iTwins. */
export type Account = {
  __typename?: 'Account';
  /** Always ACCOUNT. */
  class: ITwinClass;
  /** The id of the user who created the account. */
  createdBy?: Maybe<Scalars['ID']['output']>;
  /** When the account was created. Null when the platform's date cannot be read. */
  createdDateTime?: Maybe<Scalars['DateTime']['output']>;
  /** The data center region that stores the account's data. */
  dataCenterLocation?: Maybe<Scalars['String']['output']>;
  /** The account's display name. */
  displayName: Scalars['String']['output'];
  /** The account's id (a UUID). */
  id: Scalars['ID']['output'];
  /** The iTwins of this account the caller is a member of (GET /itwins?iTwinAccountId=). */
  itwins: ITwinConnection;
  /** A number or code unique to the account within its organization. */
  number: Scalars['String']['output'];
  /** The status exactly as the platform spells it, such as "Active". */
  rawStatus?: Maybe<Scalars['String']['output']>;
  /** Lifecycle status. Null when the platform sends a status this gateway does not know yet. */
  status?: Maybe<ITwinStatus>;
  /** Always ACCOUNT. */
  subClass: ITwinSubClass;
  /** Free text that further describes the account. */
  type?: Maybe<Scalars['String']['output']>;
};


/** An Account: the iTwin at the root of an organization's hierarchy that owns its other iTwins. */
export type AccountItwinsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  filter?: InputMaybe<ITwinFilter>;
  first?: InputMaybe<Scalars['Int']['input']>;
};

/** An iTwin: a digital twin of an asset, a project or a portfolio, or an account that owns them. */
export type ITwin = {
  __typename?: 'ITwin';
  /** The Account that owns this iTwin. */
  account?: Maybe<Account>;
  /**
   * The iTwin's class, implied by its subclass. Null when the platform sends a class this gateway
   * does not know yet; rawClass has it.
   */
  class?: Maybe<ITwinClass>;
  /** The id of the user who created the iTwin. */
  createdBy?: Maybe<Scalars['ID']['output']>;
  /**
   * The user who created the iTwin. Null, with no error, when the Users API does not return that
   * user to this caller (another organization, or deleted).
   */
  createdByUser?: Maybe<User>;
  /** When the iTwin was created. Null when the platform's date cannot be read. */
  createdDateTime?: Maybe<Scalars['DateTime']['output']>;
  /** The data center region that stores the iTwin's data, such as "East US". */
  dataCenterLocation?: Maybe<Scalars['String']['output']>;
  /** The iTwin's display name; not unique. */
  displayName: Scalars['String']['output'];
  /** A free-text description of where the iTwin is. */
  geographicLocation?: Maybe<Scalars['String']['output']>;
  /** The id of the Account iTwin at the root of the hierarchy. */
  iTwinAccountId?: Maybe<Scalars['ID']['output']>;
  /** IANA time zone of the iTwin's location, such as "America/New_York". */
  ianaTimeZone?: Maybe<Scalars['String']['output']>;
  /** The iTwin's id (a UUID). */
  id: Scalars['ID']['output'];
  /** Thumbnail URL of the iTwin's image, valid for at least an hour. */
  image?: Maybe<Scalars['String']['output']>;
  /** File name of the iTwin's image, if it has one. */
  imageName?: Maybe<Scalars['String']['output']>;
  /** The id of the user who last changed the iTwin. */
  lastModifiedBy?: Maybe<Scalars['ID']['output']>;
  /** The user who last changed the iTwin; null as for createdByUser. */
  lastModifiedByUser?: Maybe<User>;
  /** When the iTwin was last changed. Null when the platform's date cannot be read. */
  lastModifiedDateTime?: Maybe<Scalars['DateTime']['output']>;
  /** Latitude of the iTwin's location, in degrees. */
  latitude?: Maybe<Scalars['Float']['output']>;
  /** Longitude of the iTwin's location, in degrees. */
  longitude?: Maybe<Scalars['Float']['output']>;
  /**
   * One user member of this iTwin (Access Control API). Null with a NOT_FOUND error when the user
   * is not a member.
   */
  member?: Maybe<Member>;
  /** The iTwin's user members (Access Control API), in the platform's order. */
  members: MemberConnection;
  /** The caller's own permissions on this iTwin, such as itwins_read. */
  myPermissions?: Maybe<Array<Scalars['String']['output']>>;
  /** A number or code unique to the iTwin within its organization. */
  number: Scalars['String']['output'];
  /** The parent iTwin. Null when there is none or the caller cannot see it. */
  parent?: Maybe<ITwin>;
  /** The id of the parent iTwin in the account's hierarchy, if any. */
  parentId?: Maybe<Scalars['ID']['output']>;
  /** The class exactly as the platform spells it, such as "Endeavor". */
  rawClass: Scalars['String']['output'];
  /** The status exactly as the platform spells it, such as "Active". */
  rawStatus?: Maybe<Scalars['String']['output']>;
  /** The subclass exactly as the platform spells it, such as "WorkPackage". */
  rawSubClass: Scalars['String']['output'];
  /**
   * The roles that can be assigned on this iTwin. Null with a FORBIDDEN error when the caller
   * lacks the administration_manage_roles permission.
   */
  roles?: Maybe<Array<Role>>;
  /**
   * Lifecycle status; inactive iTwins are hidden from most listings. Null when the platform sends
   * none, or a status this gateway does not know yet (rawStatus has it).
   */
  status?: Maybe<ITwinStatus>;
  /**
   * What kind of iTwin this is. Null when the platform sends a subclass this gateway does not know
   * yet (the platform adds subclasses without a new API version); rawSubClass has it.
   */
  subClass?: Maybe<ITwinSubClass>;
  /** Free text that further describes the iTwin, such as "Bridge" or "Construction Project". */
  type?: Maybe<Scalars['String']['output']>;
};


/** An iTwin: a digital twin of an asset, a project or a portfolio, or an account that owns them. */
export type ITwinMemberArgs = {
  userId: Scalars['ID']['input'];
};


/** An iTwin: a digital twin of an asset, a project or a portfolio, or an account that owns them. */
export type ITwinMembersArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};

/** The class of an iTwin, implied by its subclass. */
export type ITwinClass =
  /** An account, the root of an organization's iTwins. */
  | 'ACCOUNT'
  /** An undertaking: a program, a project or a work package. */
  | 'ENDEAVOR'
  /** A physical thing: an asset or a portfolio of them. */
  | 'THING';

/** A page of iTwins. */
export type ITwinConnection = {
  __typename?: 'ITwinConnection';
  /** The iTwins of this page, each with its cursor. */
  edges: Array<ITwinEdge>;
  /** The iTwins of this page, without cursors. */
  nodes: Array<ITwin>;
  /** Where this page stands in the list. */
  pageInfo: PageInfo;
};

/** An iTwin of a page, with its position in the list. */
export type ITwinEdge = {
  __typename?: 'ITwinEdge';
  /** An opaque cursor; pass it as after to continue the list from this iTwin. */
  cursor: Scalars['String']['output'];
  /** The iTwin. */
  node: ITwin;
};

/** Narrows an iTwins list. Fields left out do not filter. */
export type ITwinFilter = {
  /** Only iTwins of this Account (iTwinAccountId). itwins only. */
  accountId?: InputMaybe<Scalars['ID']['input']>;
  /** Also list inactive iTwins, hidden by default (includeInactive). Cannot be combined with status. */
  includeInactive?: InputMaybe<Scalars['Boolean']['input']>;
  /** Only children of this iTwin (parentId). itwins and Account.itwins only. */
  parentId?: InputMaybe<Scalars['ID']['input']>;
  /**
   * Only iTwins whose number or display name contains this text, case-sensitively, 1 to 200
   * characters ($search). itwins and Account.itwins only.
   */
  search?: InputMaybe<Scalars['String']['input']>;
  /** Only iTwins with this status (status). Cannot be combined with includeInactive: true. */
  status?: InputMaybe<ITwinStatus>;
  /** Only iTwins of these subclasses (the platform's subClass parameter). */
  subClass?: InputMaybe<Array<ITwinSubClass>>;
  /** Only iTwins whose type is exactly this text (type). */
  type?: InputMaybe<Scalars['String']['input']>;
};

/** The lifecycle status of an iTwin. */
export type ITwinStatus =
  /** In use. */
  | 'ACTIVE'
  /** Archived; hidden from listings unless asked for. */
  | 'INACTIVE'
  /** A trial. */
  | 'TRIAL';

/** The kind of an iTwin. */
export type ITwinSubClass =
  /** An account (class ACCOUNT). */
  | 'ACCOUNT'
  /** A physical asset such as a bridge or a plant (class THING). */
  | 'ASSET'
  /** A group of assets (class THING). */
  | 'PORTFOLIO'
  /** A group of projects (class ENDEAVOR). */
  | 'PROGRAM'
  /** A project (class ENDEAVOR). */
  | 'PROJECT'
  /** A part of a project (class ENDEAVOR). */
  | 'WORK_PACKAGE';

/**
 * A user member of an iTwin, as Access Control reports it. A member deleted from Bentley's
 * identity system keeps its ids but has null email and names until the platform cleans it up.
 */
export type Member = {
  __typename?: 'Member';
  /** The member's email, null for a deleted user. */
  email?: Maybe<Scalars['String']['output']>;
  /** The member's given name, null for a deleted user. */
  givenName?: Maybe<Scalars['String']['output']>;
  /** The id of the iTwin this membership belongs to. */
  iTwinId: Scalars['ID']['output'];
  /**
   * An opaque id of this membership, unique per iTwin and user: one person's memberships of two
   * iTwins are two Members. The user's own id is userId.
   */
  id: Scalars['ID']['output'];
  /** The name of the member's organization, null for a deleted user. */
  organization?: Maybe<Scalars['String']['output']>;
  /** The roles the member holds on the iTwin. */
  roles: Array<Role>;
  /** The member's surname, null for a deleted user. */
  surname?: Maybe<Scalars['String']['output']>;
  /**
   * The member's profile from the Users API. Null, with no error, when the Users API does not
   * return it to this caller: the member belongs to another organization or has been deleted.
   */
  user?: Maybe<User>;
  /** The member's user id; the same id the Users API knows the user by. */
  userId: Scalars['ID']['output'];
};

/** A page of an iTwin's user members. */
export type MemberConnection = {
  __typename?: 'MemberConnection';
  /** The members of this page, each with its cursor. */
  edges: Array<MemberEdge>;
  /** The members of this page, without cursors. */
  nodes: Array<Member>;
  /** Where this page stands in the list. */
  pageInfo: PageInfo;
};

/** A member of a page, with its position in the list. */
export type MemberEdge = {
  __typename?: 'MemberEdge';
  /** An opaque cursor; pass it as after to continue the list from this member. */
  cursor: Scalars['String']['output'];
  /** The member. */
  node: Member;
};

/** Where a page of a list stands in the whole list. */
export type PageInfo = {
  __typename?: 'PageInfo';
  /** The cursor of the page's last item, to pass as after for the next page; null for an empty page. */
  endCursor?: Maybe<Scalars['String']['output']>;
  /** Whether the platform has more items after this page. */
  hasNextPage: Scalars['Boolean']['output'];
  /** Whether items come before this page. */
  hasPreviousPage: Scalars['Boolean']['output'];
  /** The cursor of the page's first item; null for an empty page. */
  startCursor?: Maybe<Scalars['String']['output']>;
};

/**
 * One graph over Bentley's iTwin Platform: iTwins, their accounts, their members and those
 * members' user profiles. Every upstream call is made with the caller's own bearer token.
 */
export type Query = {
  __typename?: 'Query';
  /**
   * The caller's favourite iTwins (iTwins API GET /itwins/favorites). The filter may use
   * subClass, status, type and includeInactive only.
   */
  favoriteItwins: ITwinConnection;
  /** An iTwin the caller is a member of. Null with a NOT_FOUND error when it is unknown or hidden. */
  itwin?: Maybe<ITwin>;
  /**
   * The iTwins the caller is a member of (iTwins API GET /itwins), in the platform's order.
   * Inactive iTwins are left out unless the filter asks for them.
   */
  itwins: ITwinConnection;
  /** The calling user's own profile (Users API GET /users/me). */
  me?: Maybe<User>;
  /** The primary Account of the caller's organization. */
  myPrimaryAccount?: Maybe<Account>;
  /**
   * The iTwins the caller used most recently, newest first, at most 25 (iTwins API GET
   * /itwins/recents). The filter may use subClass, status, type and includeInactive only.
   */
  recentItwins: ITwinConnection;
  /**
   * Users of the caller's organization whose name or email contains the text, case-insensitively
   * (Users API GET /users?$search=). At most 1000, no paging. A service application belongs to
   * no organization and finds nobody.
   */
  searchUsers: Array<User>;
  /**
   * A user of the caller's organization by id. Null with a NOT_FOUND error when the Users API
   * does not return the user: unknown, deleted, or of another organization.
   */
  user?: Maybe<User>;
  /**
   * Users by id, batched into as few Users API calls as possible (at most 1000 ids each).
   * The list has the same length and order as ids; an entry is null where the Users API does not
   * return that user (unknown, deleted, or of another organization).
   */
  users: Array<Maybe<User>>;
};


/**
 * One graph over Bentley's iTwin Platform: iTwins, their accounts, their members and those
 * members' user profiles. Every upstream call is made with the caller's own bearer token.
 */
export type QueryFavoriteItwinsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  filter?: InputMaybe<ITwinFilter>;
  first?: InputMaybe<Scalars['Int']['input']>;
};


/**
 * One graph over Bentley's iTwin Platform: iTwins, their accounts, their members and those
 * members' user profiles. Every upstream call is made with the caller's own bearer token.
 */
export type QueryItwinArgs = {
  id: Scalars['ID']['input'];
};


/**
 * One graph over Bentley's iTwin Platform: iTwins, their accounts, their members and those
 * members' user profiles. Every upstream call is made with the caller's own bearer token.
 */
export type QueryItwinsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  filter?: InputMaybe<ITwinFilter>;
  first?: InputMaybe<Scalars['Int']['input']>;
};


/**
 * One graph over Bentley's iTwin Platform: iTwins, their accounts, their members and those
 * members' user profiles. Every upstream call is made with the caller's own bearer token.
 */
export type QueryRecentItwinsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  filter?: InputMaybe<ITwinFilter>;
  first?: InputMaybe<Scalars['Int']['input']>;
};


/**
 * One graph over Bentley's iTwin Platform: iTwins, their accounts, their members and those
 * members' user profiles. Every upstream call is made with the caller's own bearer token.
 */
export type QuerySearchUsersArgs = {
  text: Scalars['String']['input'];
};


/**
 * One graph over Bentley's iTwin Platform: iTwins, their accounts, their members and those
 * members' user profiles. Every upstream call is made with the caller's own bearer token.
 */
export type QueryUserArgs = {
  id: Scalars['ID']['input'];
};


/**
 * One graph over Bentley's iTwin Platform: iTwins, their accounts, their members and those
 * members' user profiles. Every upstream call is made with the caller's own bearer token.
 */
export type QueryUsersArgs = {
  ids: Array<Scalars['ID']['input']>;
};

/** A role that grants a member permissions on an iTwin. */
export type Role = {
  __typename?: 'Role';
  /** What the role is for, when the platform says. */
  description?: Maybe<Scalars['String']['output']>;
  /** The role's display name. */
  displayName: Scalars['String']['output'];
  /** The role's id. */
  id: Scalars['ID']['output'];
  /** The permissions the role grants, when the platform lists them (e.g. itwins_read). */
  permissions?: Maybe<Array<Scalars['String']['output']>>;
};

/**
 * A user's profile from the Users API. One person is the same User whichever field returns it:
 * every field has one value, so a client cache keyed by id never sees two versions.
 */
export type User = {
  __typename?: 'User';
  /**
   * A second email address. Only the caller's own profile (/users/me) has it: filled when this
   * user is the caller, whichever field returned it, and null for everyone else.
   */
  alternateEmail?: Maybe<Scalars['String']['output']>;
  /** City. The caller's own only, as for alternateEmail. */
  city?: Maybe<Scalars['String']['output']>;
  /** Country code, such as "US". The caller's own only, as for alternateEmail. */
  country?: Maybe<Scalars['String']['output']>;
  /** When the user was created. The caller's own only, as for alternateEmail. */
  createdDateTime?: Maybe<Scalars['DateTime']['output']>;
  /** The name to show, for everyone the same rule: "givenName surname"; null when both are empty. */
  displayName?: Maybe<Scalars['String']['output']>;
  /** The user's email. */
  email?: Maybe<Scalars['String']['output']>;
  /** The user's given name. */
  givenName?: Maybe<Scalars['String']['output']>;
  /** The user's id in Bentley's identity system. */
  id: Scalars['ID']['output'];
  /** Preferred language code, such as "EN". The caller's own only, as for alternateEmail. */
  language?: Maybe<Scalars['String']['output']>;
  /** The name of the user's organization. */
  organizationName?: Maybe<Scalars['String']['output']>;
  /** Phone number. The caller's own only, as for alternateEmail. */
  phone?: Maybe<Scalars['String']['output']>;
  /** The user's surname. */
  surname?: Maybe<Scalars['String']['output']>;
};

export type MyITwinsQueryVariables = Exact<{
  first: Scalars['Int']['input'];
  after?: InputMaybe<Scalars['String']['input']>;
}>;


export type MyITwinsQuery = { __typename: 'Query', itwins: { __typename: 'ITwinConnection', pageInfo: { __typename: 'PageInfo', hasNextPage: boolean, endCursor?: string | null }, edges: Array<{ __typename: 'ITwinEdge', cursor: string, node: { __typename: 'ITwin', id: string, displayName: string, number: string, subClass?: ITwinSubClass | null, status?: ITwinStatus | null, account?: { __typename: 'Account', id: string, displayName: string } | null } }> } };

export type TeamQueryVariables = Exact<{
  itwin: Scalars['ID']['input'];
  first: Scalars['Int']['input'];
  after?: InputMaybe<Scalars['String']['input']>;
}>;


export type TeamQuery = { __typename: 'Query', itwin?: { __typename: 'ITwin', id: string, displayName: string, members: { __typename: 'MemberConnection', pageInfo: { __typename: 'PageInfo', hasNextPage: boolean, endCursor?: string | null }, edges: Array<{ __typename: 'MemberEdge', cursor: string, node: { __typename: 'Member', id: string, userId: string, iTwinId: string, roles: Array<{ __typename: 'Role', id: string, displayName: string }>, user?: { __typename: 'User', id: string, displayName?: string | null, email?: string | null } | null } }> } } | null };

export type MembershipQueryVariables = Exact<{
  itwin: Scalars['ID']['input'];
  user: Scalars['ID']['input'];
}>;


export type MembershipQuery = { __typename: 'Query', itwin?: { __typename: 'ITwin', id: string, member?: { __typename: 'Member', id: string, userId: string, iTwinId: string, email?: string | null, roles: Array<{ __typename: 'Role', id: string, displayName: string }>, user?: { __typename: 'User', id: string, displayName?: string | null, email?: string | null, organizationName?: string | null, alternateEmail?: string | null } | null } | null } | null };

export type MeQueryVariables = Exact<{ [key: string]: never; }>;


export type MeQuery = { __typename: 'Query', me?: { __typename: 'User', id: string, displayName?: string | null, email?: string | null, givenName?: string | null, surname?: string | null, organizationName?: string | null, alternateEmail?: string | null, phone?: string | null, city?: string | null } | null };


export const MyITwinsDocument = {"__meta__":{"hash":"37e5e2b78d240d606ae92d2e3550ac6252cffa42b7e9e36e30a75fbbb99ee6ac"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"MyITwins"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"itwins"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"displayName"}},{"kind":"Field","name":{"kind":"Name","value":"number"}},{"kind":"Field","name":{"kind":"Name","value":"subClass"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"account"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"displayName"}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<MyITwinsQuery, MyITwinsQueryVariables>;
export const TeamDocument = {"__meta__":{"hash":"89637d2fac20dde1be8f35e90f4e01bfff6c59fc2811fdbbf709b25dbcf77d33"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Team"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"itwin"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"itwin"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"itwin"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"displayName"}},{"kind":"Field","name":{"kind":"Name","value":"members"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"userId"}},{"kind":"Field","name":{"kind":"Name","value":"iTwinId"}},{"kind":"Field","name":{"kind":"Name","value":"roles"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"displayName"}}]}},{"kind":"Field","name":{"kind":"Name","value":"user"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"displayName"}},{"kind":"Field","name":{"kind":"Name","value":"email"}}]}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<TeamQuery, TeamQueryVariables>;
export const MembershipDocument = {"__meta__":{"hash":"2772cac47d3161841089f5be67428315f6864dbb7f8358005a458fc697dab912"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Membership"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"itwin"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"user"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"itwin"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"itwin"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"member"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"userId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"user"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"userId"}},{"kind":"Field","name":{"kind":"Name","value":"iTwinId"}},{"kind":"Field","name":{"kind":"Name","value":"email"}},{"kind":"Field","name":{"kind":"Name","value":"roles"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"displayName"}}]}},{"kind":"Field","name":{"kind":"Name","value":"user"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"displayName"}},{"kind":"Field","name":{"kind":"Name","value":"email"}},{"kind":"Field","name":{"kind":"Name","value":"organizationName"}},{"kind":"Field","name":{"kind":"Name","value":"alternateEmail"}}]}}]}}]}}]}}]} as unknown as DocumentNode<MembershipQuery, MembershipQueryVariables>;
export const MeDocument = {"__meta__":{"hash":"e6ef4184079b0b5ce360f7b1b2ca647f16b162cde6a796934fef91616ddba7a4"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Me"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"me"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"displayName"}},{"kind":"Field","name":{"kind":"Name","value":"email"}},{"kind":"Field","name":{"kind":"Name","value":"givenName"}},{"kind":"Field","name":{"kind":"Name","value":"surname"}},{"kind":"Field","name":{"kind":"Name","value":"organizationName"}},{"kind":"Field","name":{"kind":"Name","value":"alternateEmail"}},{"kind":"Field","name":{"kind":"Name","value":"phone"}},{"kind":"Field","name":{"kind":"Name","value":"city"}}]}}]}}]} as unknown as DocumentNode<MeQuery, MeQueryVariables>;