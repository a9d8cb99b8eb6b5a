export type AmiErrorKind =
  | 'not-connected'
  | 'link-lost'
  | 'timeout'
  | 'login-failed'
  | 'unreachable'
  | 'refused';

/** A failed AMI action or connection, with the kind the caller branches on. */
export class AmiError extends Error {
  readonly kind: AmiErrorKind;

  constructor(kind: AmiErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AmiError';
    this.kind = kind;
  }
}
