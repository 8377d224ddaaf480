// The default limits ([limits.conformance-defaults]: a harness run by the
// conformance runner uses them).
export const LIMITS = Object.freeze({
  maxInputBytes: 268435456,
  maxDepth: 128,
  maxNdim: 64,
  maxElements: 268435456,
  maxDecodedBytes: 268435456,
});
