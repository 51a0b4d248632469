"""The incremental build cache (`--cache DIR`, or `OMEGEN_CACHE`): a build whose inputs are all
unchanged reuses what the earlier build made instead of loading, resolving, rendering and
validating again. `key` says what the inputs are and hashes them; `store` reads and writes entries.
The output tree (`-o`, `--check`) is always compared and written afresh: only what comes before it
is cached. An entry is JSON, never code: a poisoned cache can change output, not run anything, and
SECURITY.md says the cache is as trusted as its directory."""
