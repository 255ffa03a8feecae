/** Calls to the console's read-only API (relative URLs: the page lives under the session's path). */
export class ApiError extends Error {}

export async function getJson<T>(path: string, params?: URLSearchParams): Promise<T> {
  const response = await fetch(params ? `${path}?${params.toString()}` : path, { credentials: 'same-origin' });
  const body = (await response.json().catch(() => ({}))) as { error?: string };
  if (!response.ok) throw new ApiError(body.error ?? `${response.status} ${response.statusText}`);
  return body as T;
}
