#!/bin/bash -eu
# ClusterFuzzLite build: every cargo-fuzz target, with seed corpora from the
# vectors and the dictionaries, copied where the runner expects them.
cd "$SRC/sciwire"
cargo fuzz build -O
cargo run --release --locked -p sciwire-conformance -- fuzz-seeds --out /tmp/seeds
for t in $(cargo fuzz list); do
  cp "fuzz/target/x86_64-unknown-linux-gnu/release/$t" "$OUT/"
  (cd "/tmp/seeds/$t" 2>/dev/null && zip -q -r "$OUT/${t}_seed_corpus.zip" .) || true
  dict=fuzz/dict/json.dict
  [ "$t" = arrow_payload ] && dict=fuzz/dict/arrow.dict
  cp "$dict" "$OUT/$t.dict"
done
