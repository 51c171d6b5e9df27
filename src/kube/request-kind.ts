/** What a request to the API server does, in words bounded by the resource types fledge uses. */
export interface RequestKind {
  /** get, list, watch, create, update, patch, delete (Kubernetes' own verbs). */
  verb: string;
  /** The resource's plural, with its subresource (`rollouts/status`); `other` off the API paths. */
  resource: string;
}

/**
 * The verb and resource of a request, as the API server's audit log names them, from its
 * method and path: /api/v1[/namespaces/NS]/PLURAL[/NAME[/SUB]] or /apis/G/V/…. A GET of a
 * collection is a list, or a watch when it says so.
 */
export function requestKind(method: string, path: string, watch: boolean): RequestKind {
  const parts = path.split('?')[0]?.split('/').filter(Boolean) ?? [];
  const rest =
    parts[0] === 'api' ? parts.slice(2) : parts[0] === 'apis' ? parts.slice(3) : undefined;
  if (!rest || rest.length === 0) return { verb: method.toLowerCase(), resource: 'other' };
  const scoped = rest[0] === 'namespaces' && rest.length > 2 ? rest.slice(2) : rest;
  const [plural, name, sub] = scoped;
  const resource = sub ? `${plural}/${sub}` : (plural ?? 'other');
  const collection = name === undefined;
  const verbs: Record<string, string> = {
    GET: collection ? (watch ? 'watch' : 'list') : 'get',
    POST: 'create',
    PUT: 'update',
    PATCH: 'patch',
    DELETE: collection ? 'deletecollection' : 'delete',
  };
  return { verb: verbs[method] ?? method.toLowerCase(), resource };
}
