// Monaco (GraphiQL's editor) runs its language services in web workers. They are bundled by build.mjs as separate
// same-origin files next to this bundle; their hashed names arrive through the COFFRE_WORKERS define.
/* global COFFRE_WORKERS */
const workers = COFFRE_WORKERS;

globalThis.MonacoEnvironment = {
  getWorker(_workerId, label) {
    const file = workers[label] ?? workers.editor;
    return new Worker(new URL(file, import.meta.url), { name: `graphiql-${label}` });
  },
};
