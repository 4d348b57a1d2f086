// Introspection as GraphQL tools send it: graphql-js 16's getIntrospectionQuery with every option on, anonymous,
// where introspection is on (the embedded default); the answer builds a client schema equal to schema.graphql.
// Where introspection is off the same query is refused, and the introspection depth allowance stays bounded.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  buildClientSchema, buildSchema, getIntrospectionQuery, isSpecifiedDirective,
  lexicographicSortSchema, printSchema, GraphQLSchema,
} from 'graphql';
import { useServer, REPO, schemaDifferences } from './harness.mjs';

const ALL_OPTIONS = {
  descriptions: true,
  specifiedByUrl: true,
  directiveIsRepeatable: true,
  schemaDescription: true,
  inputValueDeprecation: true,
  oneOf: true,
};

const post = (api, body, headers = {}) => fetch(`${api.baseUrl}/graphql`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

/** The schema's own types and directives, printed in a stable order; graphql-js's built-in directives left out. */
function ownSdl(schema) {
  const config = lexicographicSortSchema(schema).toConfig();
  return printSchema(new GraphQLSchema({ ...config, directives: config.directives.filter((d) => !isSpecifiedDirective(d)) }));
}

/** `__type(name: "Query") { ofType { ofType … } }` nested `levels` deep. */
const nestedOfType = (levels) => `{ __type(name: "Query") { ${'ofType { '.repeat(levels)}name${' }'.repeat(levels)} } }`;

describe('introspection on (embedded default), anonymous', () => {
  const api = useServer();

  test('getIntrospectionQuery with every graphql-js 16 option is answered, and buildClientSchema of it is schema.graphql', async () => {
    const query = getIntrospectionQuery(ALL_OPTIONS);
    // What the options add is really asked for (a later graphql version could rename them).
    for (const field of ['specifiedByURL', 'isRepeatable', 'isOneOf', 'includeDeprecated: true', 'inputFields(includeDeprecated: true)']) {
      assert.ok(query.includes(field), `the query asks for ${field}`);
    }
    const response = await post(api, { query, operationName: 'IntrospectionQuery' });
    const body = await response.json();
    assert.equal(response.status, 200, `introspection refused: ${JSON.stringify(body.errors)}`);
    assert.equal(body.errors, undefined, JSON.stringify(body.errors));
    assert.equal(typeof body.data.__schema.description, 'string', 'schemaDescription: the schema has a description');

    const served = buildClientSchema(body.data);
    const committed = buildSchema(await readFile(join(REPO, 'schema.graphql'), 'utf8'));

    // Every named type of schema.graphql is served, with the same kind.
    const servedTypes = served.getTypeMap();
    for (const [name, type] of Object.entries(committed.getTypeMap())) {
      assert.ok(servedTypes[name], `type ${name} of schema.graphql is not in the introspection answer`);
      assert.equal(servedTypes[name].constructor.name, type.constructor.name, name);
    }
    // And the same schema: types, fields, arguments, descriptions, deprecations, in a stable order.
    assert.equal(ownSdl(served), ownSdl(committed));
    const differences = schemaDifferences(committed, served);
    assert.deepEqual(differences, []);
  });

  test('the introspection depth allowance (15) is for introspection only, and is a bound', async () => {
    const deep = await post(api, { query: nestedOfType(13) }); // __type + 13 ofType + name = 15 levels
    assert.equal(deep.status, 200, JSON.stringify(await deep.clone().json()));
    const tooDeep = await (await post(api, { query: nestedOfType(14) })).json();
    assert.equal(tooDeep.errors?.[0]?.extensions?.code, 'COMPLEXITY', JSON.stringify(tooDeep));
    assert.equal(tooDeep.errors[0].extensions.limit, 'depth');
    // Mixing an ordinary field in takes the ordinary depth limit (12) again.
    const mixed = await (await post(api, { query: `{ service { name } __type(name: "Query") { ${'ofType { '.repeat(11)}name${' }'.repeat(11)} } }` })).json();
    assert.equal(mixed.errors?.[0]?.extensions?.code, 'COMPLEXITY', JSON.stringify(mixed));
    assert.equal(mixed.errors[0].extensions.limit, 'depth');
  });
});

describe('introspection off (as in a cluster unless Coffre:GraphQL:Introspection)', () => {
  const api = useServer(['--Coffre:GraphQL:Introspection=false']);

  test('the full-options query is refused (too deep without the introspection allowance), a shallow one with INTROSPECTION_DISABLED', async () => {
    const full = await post(api, { query: getIntrospectionQuery(ALL_OPTIONS) });
    const body = await full.json();
    assert.equal(full.status, 400, JSON.stringify(body));
    // Where introspection is off its depth allowance is too: the tools' query (deeper than MaxDepth 12) is refused by the
    // document budget before validation would say INTROSPECTION_DISABLED.
    assert.deepEqual(body.errors.map((e) => [e.extensions?.code, e.extensions?.limit]), [['COMPLEXITY', 'depth']], JSON.stringify(body));
    const deep = await (await post(api, { query: nestedOfType(13) })).json();
    assert.equal(deep.data, undefined, JSON.stringify(deep));
    assert.deepEqual(deep.errors.map((e) => [e.extensions?.code, e.extensions?.limit]), [['COMPLEXITY', 'depth']], JSON.stringify(deep));
    const shallowResponse = await post(api, { query: '{ __schema { queryType { name } } }' });
    const shallow = await shallowResponse.json();
    assert.equal(shallowResponse.status, 400, JSON.stringify(shallow));
    assert.equal(shallow.errors?.[0]?.extensions?.code, 'INTROSPECTION_DISABLED', JSON.stringify(shallow));
    // __typename stays available (it is not introspection of the schema).
    const typename = await (await post(api, { query: '{ __typename service { name } }' })).json();
    assert.deepEqual(typename.data, { __typename: 'Query', service: { name: 'coffre' } });
  });
});
