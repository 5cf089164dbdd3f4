// Runs the frontend's queries through Apollo Client against the emulator-backed gateway
// (GATEWAY_URL, TOKEN: the Go test TestWebExample starts it and sets both) and checks that the
// normalised cache gives back exactly what the gateway said: pages merge into the list, and
// neither two memberships of one person nor two views of one user overwrite each other.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { createClient, documentHash } from './client.js';
import type { MyITwinsQuery } from './gql/graphql.js';
import { Me, Membership, MyITwins, Team } from './operations.js';

function required(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run this through the Go test TestWebExample`);
  return v;
}
const uri = required('GATEWAY_URL');
const token = required('TOKEN');

// A plain POST with no cache, naming the document by id as the GraphQL-over-HTTP persisted
// documents form does: the gateway's own answer, to hold the cache's against.
async function direct<R, V>(doc: TypedDocumentNode<R, V>, variables: V): Promise<R> {
  const res = await fetch(uri, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ documentId: `sha256:${documentHash(doc)}`, variables }),
  });
  const body = await res.json();
  assert.equal(res.status, 200);
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  return strip(body.data) as R;
}

// Apollo adds __typename to every selection; the direct answers have none.
function strip(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(strip);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).filter(([k]) => k !== '__typename').map(([k, x]) => [k, strip(x)]));
  }
  return v;
}

test('pages of the iTwin list merge in the cache into the list the gateway returns whole', async () => {
  const client = createClient(uri, token);
  let after: string | null = null;
  let pages = 0;
  for (;;) {
    const data: MyITwinsQuery | undefined = (
      await client.query({ query: MyITwins, variables: { first: 10, after }, fetchPolicy: 'network-only' })
    ).data;
    assert.ok(data);
    pages++;
    if (!data.itwins.pageInfo.hasNextPage) break;
    after = data.itwins.pageInfo.endCursor ?? null;
    assert.ok(after, 'a page with a next page has an endCursor');
  }
  const merged = client.readQuery({ query: MyITwins, variables: { first: 10 } });
  const whole = await direct(MyITwins, { first: 100 });
  assert.ok(whole.itwins.edges.length > 10, 'the caller sees more than one page of iTwins');
  assert.equal(pages, Math.ceil(whole.itwins.edges.length / 10));
  assert.deepEqual(
    merged?.itwins.edges.map((e) => strip(e.node)),
    whole.itwins.edges.map((e) => e.node),
  );
});

test('two memberships of one person stay two, each with its own iTwin and roles', async () => {
  // Find, without the cache, someone who is a member of two iTwins. Were Members keyed by the
  // user's id, the second membership would overwrite the first's iTwinId and roles in the cache.
  const list = await direct(MyITwins, { first: 12 });
  const seen = new Map<string, string>();
  let pair: { user: string; a: string; b: string } | undefined;
  for (const { node } of list.itwins.edges) {
    const team = await direct(Team, { itwin: node.id, first: 100 });
    for (const { node: m } of team.itwin?.members.edges ?? []) {
      const before = seen.get(m.userId);
      if (before && !pair) pair = { user: m.userId, a: before, b: node.id };
      if (!before) seen.set(m.userId, node.id);
    }
  }
  assert.ok(pair, 'the emulator has a person on two iTwins');

  const client = createClient(uri, token);
  const queries = [
    { query: Membership, variables: { itwin: pair.a, user: pair.user } },
    { query: Membership, variables: { itwin: pair.b, user: pair.user } },
    { query: Team, variables: { itwin: pair.a, first: 100 } },
    { query: Team, variables: { itwin: pair.b, first: 100 } },
  ] as const;
  const answers: unknown[] = [];
  const directAnswers: unknown[] = [];
  for (const q of queries) {
    answers.push((await client.query({ ...q, fetchPolicy: 'network-only' } as never)).data);
    directAnswers.push(await direct(q.query as never, q.variables as never));
  }
  // Every query read back from the cache is what the gateway answered it, after all of them.
  queries.forEach((q, i) => {
    assert.deepEqual(client.readQuery(q as never), answers[i], `query ${i} read back from the cache`);
    assert.deepEqual(strip(answers[i]), directAnswers[i], `query ${i} as the gateway answers it`);
  });
  const a = (answers[0] as { itwin: { member: { id: string; iTwinId: string } } }).itwin.member;
  const b = (answers[1] as { itwin: { member: { id: string; iTwinId: string } } }).itwin.member;
  assert.deepEqual([a.iTwinId, b.iTwinId], [pair.a, pair.b]);
  assert.notEqual(a.id, b.id, 'two memberships have two ids');
  const cache = client.cache.extract() as Record<string, { userId?: string }>;
  const memberships = Object.entries(cache).filter(([k, v]) => k.startsWith('Member:') && v.userId === pair.user);
  assert.equal(memberships.length, 2, 'one cache entry per membership');
  assert.equal(Object.keys(cache).filter((k) => k === `User:${pair.user}`).length, 1, 'one entry for the person');
});

test('the caller seen through /me and through a membership is one consistent user', async () => {
  const client = createClient(uri, token);
  const me = (await client.query({ query: Me, fetchPolicy: 'network-only' })).data?.me;
  assert.ok(me?.alternateEmail, 'the caller has an alternate email in the emulator');
  // An iTwin with another member who has a profile: two users, two views.
  const list = await direct(MyITwins, { first: 10 });
  let itwin = '';
  let other: string | undefined;
  for (const { node } of list.itwins.edges) {
    const team = await direct(Team, { itwin: node.id, first: 100 });
    other = team.itwin?.members.edges.find((e) => e.node.userId !== me.id && e.node.user)?.node.userId;
    if (other && team.itwin?.members.edges.some((e) => e.node.userId === me.id)) {
      itwin = node.id;
      break;
    }
  }
  assert.ok(itwin && other, 'an iTwin has the caller and another member with a profile');

  const mine = { query: Membership, variables: { itwin, user: me.id } };
  const theirs = { query: Membership, variables: { itwin, user: other } };
  const answers = [
    (await client.query({ ...mine, fetchPolicy: 'network-only' })).data,
    (await client.query({ ...theirs, fetchPolicy: 'network-only' })).data,
  ];
  // The caller's profile through a membership carries the /me-only field too, so neither view
  // nulls what the other filled; another user's is null, and stays on that user.
  assert.equal(answers[0]?.itwin?.member?.user?.alternateEmail, me.alternateEmail);
  assert.equal(answers[1]?.itwin?.member?.user?.alternateEmail, null);
  assert.deepEqual(strip(client.readQuery({ query: Me })), await direct(Me, {}));
  assert.deepEqual(strip(client.readQuery(mine)), await direct(Membership, mine.variables));
  assert.deepEqual(strip(client.readQuery(theirs)), await direct(Membership, theirs.variables));
});
