// Error objects (spec/src/errors.md): a code from the closed list, a message,
// and the clause the input broke.
export class SciwireError extends Error {
  constructor(code, message, clause, path) {
    super(message);
    this.code = code;
    this.clause = clause;
    this.path = path;
  }
  toObject() {
    const o = { code: this.code, message: this.message };
    if (this.clause) o.clause = this.clause;
    if (this.path !== undefined) o.path = this.path;
    return o;
  }
}

export function fail(code, clause, message, path) {
  throw new SciwireError(code, message, clause, path);
}
