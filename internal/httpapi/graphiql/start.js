// Starts GraphiQL with the page's configuration. Served from the binary like the npm files; no
// inline script, so the page's Content-Security-Policy can forbid them.
'use strict';
(function () {
  const config = JSON.parse(document.getElementById('graphiql-config').textContent);

  // The query, variables and operation name live in the URL, so a link opens the same query.
  // The headers editor holds a bearer token: never read from a link, never written to one, never
  // kept in browser storage.
  const parameters = Object.fromEntries(new URLSearchParams(window.location.search));
  delete parameters.headers;
  function updateURL() {
    const search = new URLSearchParams();
    for (const key of ['query', 'variables', 'operationName']) {
      if (parameters[key]) search.set(key, parameters[key]);
    }
    history.replaceState(null, '', '?' + search.toString());
  }

  const root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(React.createElement(GraphiQL, {
    fetcher: GraphiQL.createFetcher({ url: new URL(config.endpoint, window.location.href).href }),
    plugins: [GraphiQLPluginExplorer.explorerPlugin()],
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: false,
    headers: config.headers ? JSON.stringify(config.headers, null, 2) : undefined,
    query: parameters.query,
    variables: parameters.variables,
    operationName: parameters.operationName,
    onEditQuery: (v) => { parameters.query = v; updateURL(); },
    onEditVariables: (v) => { parameters.variables = v; updateURL(); },
    onEditOperationName: (v) => { parameters.operationName = v; updateURL(); },
    inputValueDeprecation: true,
  }));
})();
