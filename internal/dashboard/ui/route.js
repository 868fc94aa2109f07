// The URL's hash is the route, so links and reloads keep the page:
//   #/?namespace=NS&q=TEXT&phase=PHASE   the rollouts list
//   #/rollouts/NS/NAME                   one rollout

/** parseHash reads the route from a URL hash. */
export function parseHash(hash) {
  const [path, query = ''] = hash.replace(/^#/, '').split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'rollouts' && parts.length === 3) {
    return { kind: 'rollout', namespace: parts[1], name: parts[2] };
  }
  const params = new URLSearchParams(query);
  return {
    kind: 'list',
    filters: { namespace: params.get('namespace') || '', q: params.get('q') || '', phase: params.get('phase') || '' },
  };
}

/** listHash is the list's route with its filters. */
export function listHash(filters) {
  const params = new URLSearchParams(Object.entries(filters).filter(([, v]) => v));
  return `#/${params.toString() ? `?${params}` : ''}`;
}

/** rolloutHref is the route of a rollout's page. */
export const rolloutHref = (ns, name) => `#/rollouts/${encodeURIComponent(ns)}/${encodeURIComponent(name)}`;
