// Composes the supergraph as a schema registry would: asks each subgraph for its SDL
// (_service { sdl }), composes them with The Guild's federation composition, and prints the
// supergraph SDL that Hive Gateway serves.
//
//   node compose.mjs itwin=http://localhost:8080/subgraph notes=http://localhost:4001/query > supergraph.graphql
import { composeServices } from '@theguild/federation-composition';
import { parse } from 'graphql';

const services = [];
for (const arg of process.argv.slice(2)) {
  const at = arg.indexOf('=');
  if (at < 1) throw new Error(`expected name=url, got ${arg}`);
  const name = arg.slice(0, at);
  const url = arg.slice(at + 1);
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ query: '{ _service { sdl } }' }),
  });
  const body = await res.json();
  const sdl = body?.data?._service?.sdl;
  if (!sdl) throw new Error(`${name} (${url}) gave no SDL: ${JSON.stringify(body)}`);
  services.push({ name, url, typeDefs: parse(sdl) });
}
if (services.length === 0) throw new Error('usage: node compose.mjs name=url [name=url ...]');

const result = composeServices(services);
if (result.errors?.length) {
  for (const e of result.errors) console.error(`composition: ${e.message}`);
  process.exit(1);
}
process.stdout.write(result.supergraphSdl);
