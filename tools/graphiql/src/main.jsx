// Coffre's GraphiQL page: same-origin /graphql over HTTP, same-origin /graphql over WebSocket (graphql-transport-ws)
// for subscriptions. Headers set in GraphiQL's headers editor go with every HTTP request and, for subscriptions, into
// the connection_init payload (the server reads "authorization" there: browsers cannot set WebSocket headers).
import './workers.js';
import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import 'graphiql/style.css';
import './page.css';

const http = new URL('/graphql', window.location.href);
const ws = new URL(http);
ws.protocol = http.protocol === 'https:' ? 'wss:' : 'ws:';

const fetcher = createGraphiQLFetcher({
  url: http.href,
  subscriptionUrl: ws.href,
  // The server answers plain JSON (no @defer / @stream): no multipart negotiation.
  enableIncrementalDelivery: false,
});

const defaultQuery = `# Coffre's GraphQL API. To call it as someone, open Headers below and set
# { "Authorization": "Bearer <token>" } (also sent, for subscriptions, in connection_init).

query Service {
  service {
    name
    role
    version
  }
}
`;

// Headers are not persisted: a bearer token stays in this tab's memory, not in localStorage.
createRoot(document.getElementById('graphiql')).render(
  <GraphiQL fetcher={fetcher} defaultQuery={defaultQuery} shouldPersistHeaders={false} />,
);
