// The request as it came, sent to the same path under UPSTREAM (given by `--var`); the answer
// streamed back as it comes.
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    return fetch(env.UPSTREAM + url.pathname + url.search, {
      method: request.method,
      headers: request.headers,
      body: request.body,
    });
  },
};
