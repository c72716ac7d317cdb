// The console's JSON API (/console/api/...), relative to the page.

async function request(method, path, body) {
  const res = await fetch(`api/${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) throw new Error(json?.error ?? `${method} ${path}: HTTP ${res.status}`);
  return json;
}

export const api = {
  outputs: () => request('GET', 'outputs'),
  stateMachines: () => request('GET', 'state-machines'),
  executions: (query) => request('GET', `executions?${new URLSearchParams(Object.entries(query).filter(([, v]) => v))}`),
  execution: (arn) => request('GET', `executions/${encodeURIComponent(arn)}`),
  requests: (query) => request('GET', `requests?${new URLSearchParams(Object.entries(query).filter(([, v]) => v))}`),
  request: (requestId) => request('GET', `requests/${encodeURIComponent(requestId)}`),
  dlq: () => request('GET', 'dlq'),
  redrive: (resource, messageIds) => request('POST', `dlq/${encodeURIComponent(resource)}/redrive`, messageIds ? { messageIds } : {}),
  circuits: () => request('GET', 'circuits'),
  openCircuit: (resource, seconds) => request('POST', `circuits/${encodeURIComponent(resource)}/open`, { for: seconds, by: 'console' }),
  closeCircuit: (resource) => request('POST', `circuits/${encodeURIComponent(resource)}/close`, { by: 'console' }),
  flags: () => request('GET', 'flags'),
  setFlag: (change) => request('PUT', 'flags', change),
};
