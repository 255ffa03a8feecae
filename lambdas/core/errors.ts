/**
 * Typed errors for the whole core. Every error names what went wrong and what to do;
 * none of them ever carries a token or an entry body.
 * The CLI maps them to exit codes at its edge (`cli/exitCodes.ts`).
 */
export class ArchiveError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ArchiveError';
  }
}

/** A setting, flag or credential is wrong; retrying will not help. */
export class ConfigurationError extends ArchiveError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConfigurationError';
  }
}

/** Intercom rejected the token (HTTP 401). */
export class IntercomAuthError extends ConfigurationError {
  constructor(requestId?: string) {
    super(
      "Intercom rejected the access token (HTTP 401): the token is invalid or lacks the 'Read admin activity logs' permission. " +
        'Create a token with that permission in the Intercom Developer Hub and set it again.' +
        (requestId ? ` (Intercom request id ${requestId})` : ''),
    );
    this.name = 'IntercomAuthError';
  }
}

/** Intercom refused the call for the workspace's plan or another 403 reason. */
export class IntercomForbiddenError extends ConfigurationError {
  constructor(
    readonly code: string,
    requestId?: string,
  ) {
    super(
      code === 'api_plan_restricted'
        ? "Intercom refused the call (HTTP 403 api_plan_restricted): this workspace's plan does not include API access to activity logs. " +
            'Ask Intercom to enable it for the plan; retrying will not help.'
        : `Intercom refused the call (HTTP 403 ${code}): check that the app is installed on this workspace with the 'Read admin activity logs' permission.` +
            (requestId ? ` (Intercom request id ${requestId})` : ''),
    );
    this.name = 'IntercomForbiddenError';
  }
}

/** Intercom answered a request with a 4xx that is not retryable (bad parameters, not found). */
export class IntercomRequestError extends ArchiveError {
  constructor(
    readonly status: number,
    detail: string,
  ) {
    super(`Intercom rejected the request (HTTP ${status}): ${detail}`);
    this.name = 'IntercomRequestError';
  }
}

/** Intercom answered with a redirect; the collector never follows one. */
export class IntercomRedirectError extends ConfigurationError {
  constructor(
    readonly status: number,
    targetOrigin: string,
  ) {
    super(
      `Intercom answered HTTP ${status}, a redirect to ${targetOrigin}; the collector never follows redirects (entries must come from the host it asked, and the token must not go anywhere else). ` +
        'Check --api-url / the region setting.',
    );
    this.name = 'IntercomRedirectError';
  }
}

/** Intercom sent more than a run accepts: a page body over the size cap, or pages without end. */
export class IntercomLimitError extends ArchiveError {
  constructor(message: string) {
    super(message);
    this.name = 'IntercomLimitError';
  }
}

/** A range's read was called off by the collector (it was read ahead and is no longer wanted): never retried, never used. */
export class ReadCancelledError extends ArchiveError {
  constructor() {
    super('the read of this range was cancelled: it was read ahead and is no longer the next one; nothing of it is used');
    this.name = 'ReadCancelledError';
  }
}

export type TransientKind = 'server' | 'network' | 'timeout' | 'invalid-body' | 'rate-limit';

/** Intercom kept failing transiently until the retry budget ran out. */
export class IntercomUnavailableError extends ArchiveError {
  constructor(
    readonly kind: TransientKind,
    readonly attempts: number,
    detail: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(
      `Intercom kept failing after ${attempts} attempts (${kind}: ${detail}). The run stopped; rerun later — nothing is lost.`,
      options,
    );
    this.name = 'IntercomUnavailableError';
  }
}

/** An object already exists with different bytes, or stored bytes do not match their hash. */
export class IntegrityError extends ArchiveError {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(message);
    this.name = 'IntegrityError';
  }
}

/** A symbolic link inside a local archive: never created, followed or read through. */
export class SymlinkError extends IntegrityError {
  constructor(key: string, link: string) {
    super(
      key,
      `refusing to use ${key}: ${link} inside the archive is a symbolic link, which could point outside the archive or loop. ` +
        'Remove the link and restore the real object from a copy; `audit-archive verify` lists every symlink in the archive.',
    );
    this.name = 'SymlinkError';
  }
}

/** The object does not exist (a get of a key that was never written, or was lost). */
export class ObjectNotFoundError extends ArchiveError {
  constructor(readonly key: string) {
    super(`object ${key} does not exist`);
    this.name = 'ObjectNotFoundError';
  }
}

/** A create-only write lost a race or hit an object that already exists. */
export class ObjectExistsError extends ArchiveError {
  constructor(readonly key: string) {
    super(`object ${key} already exists`);
    this.name = 'ObjectExistsError';
  }
}

/** Another writer extended the manifest chain while this run was working. */
export class ConcurrentWriterError extends ArchiveError {
  constructor(readonly key: string) {
    super(
      `manifest ${key} was written by another collector run while this one was working. ` +
        'Only one collector may write an archive at a time; this run stopped without writing anything further.',
    );
    this.name = 'ConcurrentWriterError';
  }
}

/** A channel refused live alerts; the watermark stays where it was, so the next run delivers them. */
export class AlertDeliveryError extends ArchiveError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AlertDeliveryError';
  }
}

/** The archive is locked by another live process. */
export class LockedError extends ConfigurationError {
  constructor(message: string) {
    super(message);
    this.name = 'LockedError';
  }
}

/** The archive refuses deletion: objects are write-once and retained. */
export class ObjectLockedError extends ArchiveError {
  constructor(
    readonly key: string,
    retainUntil: string | undefined,
  ) {
    super(
      `${key} is write-once: the archive has no delete or overwrite operation` +
        (retainUntil ? ` and the object is retained until ${retainUntil}` : ''),
    );
    this.name = 'ObjectLockedError';
  }
}

/** A report asked for a period the archive does not fully hold, without `--allow-partial`. */
export class PartialPeriodError extends ArchiveError {
  constructor(readonly statement: string) {
    super(
      `${statement}. No pack was written: collect the missing range first, or pass --allow-partial (reporter Lambda: "allowPartial": true) for a pack that says it is partial.`,
    );
    this.name = 'PartialPeriodError';
  }
}

/** Turns any thrown value into a one-line message that is safe to print. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
