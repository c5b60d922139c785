/** One answer of the edge's HTTP API. */
export interface ApiAnswer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests read whatever shape each route answers.
  body: any;
  text: string;
  headers: Headers;
}

/** Calls `method path` on an edge, with a Bearer token or a cookie, and a JSON (or raw text) body. */
export async function apiCall(
  base: string,
  method: string,
  path: string,
  options: { token?: string; cookie?: string; body?: unknown } = {},
): Promise<ApiAnswer> {
  const headers: Record<string, string> = {};
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  if (options.cookie) headers.Cookie = options.cookie;
  const response = await fetch(`${base}${path}`, {
    method,
    headers,
    ...(options.body === undefined
      ? {}
      : { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) }),
  });
  const text = await response.text();
  const json = (response.headers.get('content-type') ?? '').startsWith('application/json');
  return {
    status: response.status,
    body: json && text !== '' ? JSON.parse(text) : {},
    text,
    headers: response.headers,
  };
}
