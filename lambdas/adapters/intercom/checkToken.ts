import { ConfigurationError } from '../../core/errors.ts';

/**
 * Checks an access token where it is loaded (environment, secret): printable ASCII without
 * spaces. A line break or control character would otherwise reach the HTTP library, whose
 * error message quotes the whole header value — the token — into logs. The message never
 * contains the token, not even a part of it.
 */
export function checkToken(token: string, where: string): string {
  if (!/^[\x21-\x7e]+$/.test(token)) {
    throw new ConfigurationError(
      `${where}: the access token contains whitespace, a line break, a control or a non-ASCII character (it was probably pasted with one); set the token again exactly as the Intercom Developer Hub shows it`,
    );
  }
  return token;
}
